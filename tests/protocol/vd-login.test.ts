import { describe, expect, it } from 'bun:test';
import { parseVdLogin } from '../../protocol/index.ts';

const URL_QUERY = 'login_code=2009550000011079&login_passwd=s3cret&hardware_model=HC-C200&firmware_model=V2.3.1&sdk=1.4.0&reconnect=1';

describe('Vd login query (Table 9-3)', () => {
  it('accepts the 9.3.2.2 URL query', () => {
    expect(parseVdLogin(new URLSearchParams(URL_QUERY))).toEqual({
      ok: true,
      value: { login_code: '2009550000011079', login_passwd: 's3cret', hardware_model: 'HC-C200', firmware_model: 'V2.3.1', sdk: '1.4.0', reconnect: 1 },
    });
  });

  it('defaults reconnect to 0 and leaves sdk out when absent', () => {
    const result = parseVdLogin({ login_code: 'c', login_passwd: 'p', hardware_model: 'h', firmware_model: 'f' });
    expect(result).toEqual({ ok: true, value: { login_code: 'c', login_passwd: 'p', hardware_model: 'h', firmware_model: 'f', reconnect: 0 } });
  });

  it('rejects a missing or empty required field, naming it', () => {
    const query = new URLSearchParams(URL_QUERY);
    query.delete('login_passwd');
    expect(parseVdLogin(query)).toEqual({
      ok: false,
      error: 'query.login_passwd: required (expected a password, or a signed login (login_ts, login_nonce, login_sig))',
    });
    query.set('login_passwd', '');
    expect(parseVdLogin(query)).toEqual({
      ok: false,
      error: 'query.login_passwd: required (expected a password, or a signed login (login_ts, login_nonce, login_sig))',
    });
  });

  it('rejects reconnect other than 0 or 1', () => {
    const query = new URLSearchParams(URL_QUERY);
    query.set('reconnect', 'yes');
    expect(parseVdLogin(query)).toEqual({ ok: false, error: 'query.reconnect: expected one of "0"|"1", got "yes"' });
  });
});
