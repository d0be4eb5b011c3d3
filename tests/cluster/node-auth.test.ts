import { describe, expect, it } from 'bun:test';
import { randomBytes } from 'node:crypto';
import {
  CLIENT_IP_HEADER,
  NODE_HEADER,
  NODE_SIG_HEADER,
  NODE_SIGNATURE_WINDOW_MS,
  NODE_TIME_HEADER,
  signNodeRequest,
  verifyNodeRequest,
} from '../../services/cluster/node-auth.ts';

const key = randomBytes(32);
const NOW = 1_800_000_000_000;
const signed = (extra: Record<string, string> = {}, at = NOW, k = key, method = 'GET', path = '/api/devices/cam-1?x=1') =>
  new Headers({ ...signNodeRequest(k, method, path, 'node-a', at), ...extra });

describe('node-to-node request signatures', () => {
  it('accepts a fresh request signed with the platform key, and carries the client address', () => {
    const v = verifyNodeRequest(key, 'GET', '/api/devices/cam-1?x=1', signed({ [CLIENT_IP_HEADER]: '10.0.0.9' }), NOW + 1000);
    expect(v).toEqual({ kind: 'node', node: 'node-a', clientIp: '10.0.0.9' });
  });

  it('treats a request without node headers as a client request', () => {
    expect(verifyNodeRequest(key, 'GET', '/x', new Headers({ authorization: 'Bearer t' }), NOW)).toEqual({ kind: 'none' });
  });

  it('refuses a request signed with another key', () => {
    const v = verifyNodeRequest(key, 'GET', '/api/devices/cam-1?x=1', signed({}, NOW, randomBytes(32)), NOW);
    expect(v).toMatchObject({ kind: 'refused', reason: expect.stringContaining(NODE_SIG_HEADER) });
  });

  it('refuses a signature made for another method, path, query or node', () => {
    expect(verifyNodeRequest(key, 'POST', '/api/devices/cam-1?x=1', signed(), NOW).kind).toBe('refused');
    expect(verifyNodeRequest(key, 'GET', '/api/devices/cam-2?x=1', signed(), NOW).kind).toBe('refused');
    expect(verifyNodeRequest(key, 'GET', '/api/devices/cam-1?x=2', signed(), NOW).kind).toBe('refused');
    expect(verifyNodeRequest(key, 'GET', '/api/devices/cam-1?x=1', signed({ [NODE_HEADER]: 'node-b' }), NOW).kind).toBe('refused');
  });

  it('refuses a stale signature, and one from too far in the future, naming the time header', () => {
    const late = verifyNodeRequest(key, 'GET', '/api/devices/cam-1?x=1', signed(), NOW + NODE_SIGNATURE_WINDOW_MS + 1);
    expect(late).toMatchObject({ kind: 'refused', reason: expect.stringContaining(NODE_TIME_HEADER) });
    const early = verifyNodeRequest(key, 'GET', '/api/devices/cam-1?x=1', signed(), NOW - NODE_SIGNATURE_WINDOW_MS - 1);
    expect(early.kind).toBe('refused');
    expect(verifyNodeRequest(key, 'GET', '/api/devices/cam-1?x=1', signed(), NOW + NODE_SIGNATURE_WINDOW_MS).kind).toBe('node');
  });

  it('refuses a request carrying some node headers but not all, naming the missing one', () => {
    const h = signed();
    h.delete(NODE_SIG_HEADER);
    expect(verifyNodeRequest(key, 'GET', '/api/devices/cam-1?x=1', h, NOW)).toEqual({ kind: 'refused', reason: `${NODE_SIG_HEADER}: missing` });
    expect(verifyNodeRequest(key, 'GET', '/', new Headers({ [NODE_HEADER]: 'node-a' }), NOW)).toMatchObject({ kind: 'refused' });
  });

  it('refuses a client address without a signature (a client cannot claim another address)', () => {
    expect(verifyNodeRequest(key, 'GET', '/', new Headers({ [CLIENT_IP_HEADER]: '1.2.3.4' }), NOW)).toMatchObject({ kind: 'refused' });
  });

  it('refuses a time that is not epoch milliseconds', () => {
    expect(verifyNodeRequest(key, 'GET', '/x', signed({ [NODE_TIME_HEADER]: 'soon' }, NOW, key, 'GET', '/x'), NOW)).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('epoch milliseconds'),
    });
  });
});
