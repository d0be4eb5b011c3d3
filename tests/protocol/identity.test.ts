import { describe, expect, it } from 'bun:test';
import { checkMacIdentity, normalizeDeviceIdentity, normalizeMac, sameDevice } from '../../protocol/index.ts';

describe('normalizeMac', () => {
  const forms = ['a0b1c2d3e4f5', 'A0B1C2D3E4F5', 'a0:b1:c2:d3:e4:f5', 'A0:B1:C2:D3:E4:F5', 'a0-b1-c2-d3-e4-f5', 'a0b1.c2d3.e4f5', ' a0:b1:c2:d3:e4:f5 '];
  for (const form of forms) {
    it(`gives one canonical form for ${JSON.stringify(form)}`, () => {
      expect(normalizeMac(form)).toBe('a0b1c2d3e4f5');
    });
  }

  const notMacs = ['', 'a0b1c2d3e4', 'a0b1c2d3e4f5a6', 'g0b1c2d3e4f5', 'a0:b1-c2:d3:e4:f5', 'a0:b1:c2:d3:e4:f5:', 'a0b1:c2d3:e4f5', 'a0 b1 c2 d3 e4 f5'];
  for (const text of notMacs) {
    it(`does not take ${JSON.stringify(text)} for a MAC`, () => {
      expect(normalizeMac(text)).toBeUndefined();
    });
  }
});

describe('normalizeDeviceIdentity', () => {
  it('normalises a MAC address', () => {
    expect(normalizeDeviceIdentity('A0-B1-C2-D3-E4-F5')).toBe('a0b1c2d3e4f5');
  });

  it("keeps OVC's 16-digit decimal device id as sent (9.2: 'or similar unique information')", () => {
    expect(normalizeDeviceIdentity('2009550000011079')).toBe('2009550000011079');
  });

  it('rejects an empty id, one with spaces or control characters, and one over 64 characters', () => {
    for (const text of ['', '   ', 'cam 1', 'cam\u0001', 'x'.repeat(65)]) expect(normalizeDeviceIdentity(text)).toBeUndefined();
  });
});

describe('Mac-Identity header (9.2)', () => {
  it('passes when the header is absent', () => {
    expect(checkMacIdentity('a0b1c2d3e4f5', null)).toEqual({ ok: true });
    expect(checkMacIdentity('a0b1c2d3e4f5', undefined)).toEqual({ ok: true });
  });

  it('passes when the header names the same device in another MAC notation', () => {
    expect(checkMacIdentity('a0b1c2d3e4f5', 'A0:B1:C2:D3:E4:F5')).toEqual({ ok: true });
  });

  it('fails, naming the header, when it names another device', () => {
    expect(checkMacIdentity('a0b1c2d3e4f5', 'a0b1c2d3e4f6')).toEqual({ ok: false, error: 'Mac-Identity: does not match the device identity' });
  });

  it('never takes an invalid identity for a match', () => {
    expect(sameDevice('', '')).toBe(false);
  });
});
