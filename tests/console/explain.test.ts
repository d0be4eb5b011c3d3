/** What the console tells a person when a camera action fails. */
import { describe, expect, it } from 'bun:test';
import { ApiError, explain } from '../../web/src/api.ts';

describe('messages for failed actions', () => {
  it("names the camera's own error and what its code means", () => {
    expect(explain(new ApiError(502, 'the device answered err 13: no such setting', undefined, { code: 13, msg: 'no such setting' }))).toBe(
      'The camera refused: error 13, unsupported configuration (“no such setting”).',
    );
  });
  it('says when the camera did not answer at all', () => {
    expect(explain(new ApiError(504, 'no answer within 20 s'))).toBe('The camera did not answer in time.');
  });
  it('says why a message was not sent', () => {
    expect(explain(new ApiError(503, 'cannot send DevStatus: the device is offline and not connected'))).toBe(
      'Not sent: cannot send DevStatus: the device is offline and not connected.',
    );
  });
  it("passes the platform's own explanation through", () => {
    expect(explain(new ApiError(400, 'params.channel: expected an integer'))).toBe('params.channel: expected an integer');
  });
});
