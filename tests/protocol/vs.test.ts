import { describe, expect, it } from 'bun:test';
import { parseWith, parseVsGetServerAddr, syncTimeFromMs, VsFailure, VsGetServerAddrResp } from '../../protocol/index.ts';

/** The I.1 answer with its placeholders filled, plus OVC's extra fields (NOTES 4). */
const EXAMPLE = {
  PassDomain: 'www.test01.com',
  P2p_passDomain: 'www.test02.com',
  TurnDomain: 'www.test03.com',
  HibernationDomain: 'www.test04.com',
  PassPort: 0,
  Secure_PassPort: 443,
  P2p_passPort: 4755,
  TurnPort: 3478,
  SyncTime: 1_647_419_400_123_456,
  HibernationPort: 9000,
  HibernationHBInterval: 60,
  MaxP2PSession: 4,
};

describe('Vs getServerAddr request', () => {
  it('accepts the I.1 request with its macid query parameter, normalised', () => {
    expect(parseVsGetServerAddr(new URLSearchParams('macid=A0:B1:C2:D3:E4:F5'))).toEqual({ ok: true, value: { macid: 'a0b1c2d3e4f5' } });
  });

  it('accepts a plain record of query parameters', () => {
    expect(parseVsGetServerAddr({ macid: '2009550000011079' })).toEqual({ ok: true, value: { macid: '2009550000011079' } });
  });

  it('rejects a request without macid, naming it', () => {
    expect(parseVsGetServerAddr(new URLSearchParams('mac_id=a0b1c2d3e4f5'))).toEqual({ ok: false, error: 'query.macid: required (expected string)' });
  });

  it('rejects a macid that is no device identity, naming it', () => {
    const result = parseVsGetServerAddr(new URLSearchParams('macid=a%20b'));
    expect(result.ok ? '' : result.error).toStartWith('query.macid: expected a MAC address or a device id');
  });

  it('accepts a matching Mac-Identity header and rejects a different one', () => {
    const query = new URLSearchParams('macid=a0b1c2d3e4f5');
    expect(parseVsGetServerAddr(query, 'a0-b1-c2-d3-e4-f5').ok).toBe(true);
    expect(parseVsGetServerAddr(query, 'ffffffffffff')).toEqual({ ok: false, error: 'Mac-Identity: does not match the device identity' });
  });
});

describe('Vs getServerAddr answer', () => {
  it('accepts the I.1 example answer with the OVC fields', () => {
    expect(parseWith(VsGetServerAddrResp, EXAMPLE, 'resp')).toEqual({ ok: true, value: EXAMPLE });
  });

  it('accepts an answer without the OVC hibernation and P2P session fields', () => {
    const { HibernationPort, HibernationHBInterval, MaxP2PSession, ...core } = EXAMPLE;
    expect(parseWith(VsGetServerAddrResp, core).ok).toBe(true);
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['a missing PassDomain', { PassDomain: undefined }, 'resp.PassDomain: required'],
    ['a missing SyncTime', { SyncTime: undefined }, 'resp.SyncTime: required'],
    ['a SyncTime in fractional seconds', { SyncTime: 1_647_419_400.5 }, 'resp.SyncTime: expected integer'],
    ['a SyncTime as text', { SyncTime: '1647419400000000' }, 'resp.SyncTime: expected number'],
    ['a port as text', { Secure_PassPort: '443' }, 'resp.Secure_PassPort: expected number'],
    ['a port above 65535', { TurnPort: 70_000 }, 'resp.TurnPort: must be <= 65535'],
    ['a negative port', { PassPort: -1 }, 'resp.PassPort: must be >= 0'],
    ['a domain that is not text', { TurnDomain: 3 }, 'resp.TurnDomain: expected string'],
    ['a negative MaxP2PSession', { MaxP2PSession: -1 }, 'resp.MaxP2PSession: must be >= 0'],
  ];
  for (const [what, change, error] of bad) {
    it(`rejects ${what}, naming the field`, () => {
      const result = parseWith(VsGetServerAddrResp, { ...EXAMPLE, ...change }, 'resp');
      expect(result.ok ? '' : result.error).toStartWith(error);
    });
  }

  it('gives SyncTime in microseconds since the epoch', () => {
    expect(syncTimeFromMs(1_647_419_400_123)).toBe(1_647_419_400_123_000);
    expect(Number.isInteger(syncTimeFromMs(Date.now()))).toBe(true);
  });
});

describe('Vs failure', () => {
  it('is {"info": text}', () => {
    expect(parseWith(VsFailure, { info: 'unknown device' })).toEqual({ ok: true, value: { info: 'unknown device' } });
    expect(parseWith(VsFailure, {}, 'body')).toEqual({ ok: false, error: 'body.info: required (expected string)' });
  });
});
