import { afterAll, describe, expect, it } from 'bun:test';
import { AccessTable, SrtRejx, formatStreamId, parseStreamId } from '../../media/srt/index.ts';

const table = AccessTable.create(64);
table.add({ resource: 'cam-1', token: 'pub-tok', mode: 'publish', passphrase: 'correct-horse-battery', pbkeylen: 16 });
table.add({ resource: 'cam-1', token: 'view-tok', mode: 'request' });
table.add({ resource: 'cam-1', token: 'old-tok', mode: 'request', expiresAt: Date.now() - 1 });
afterAll(() => table.free());

/** Ids with the answer the listener must give: 0 admit, else the rejection code. */
const cases: [string, number][] = [
  ['#!::r=cam-1,m=publish,t=pub-tok', 0],
  ['#!::t=pub-tok,m=publish,r=cam-1', 0],
  ['#!::r=cam-1,t=view-tok', 0], // m defaults to request
  ['#!::u=alice,r=cam-1,m=request,t=view-tok,h=example.org', 0], // other standard keys ignored
  ['%23%21%3A%3Ar%3Dcam-1%2Cm%3Dpublish%2Ct%3Dpub-tok', 0], // percent-encoded whole (errata 17)
  ['%23!::r=cam-1,m=publish,t=pub-tok', 0], // only the # encoded
  ['%23%21%3a%3ar%3dcam-1%2cm%3drequest%2ct%3dview-tok', 0], // lower-case hex
  ['#!::r=cam-1,m=request,t=pub-tok', SrtRejx.FORBIDDEN], // wrong mode for the token
  ['#!::r=cam-1,m=publish,t=view-tok', SrtRejx.FORBIDDEN],
  ['#!::r=cam-1,m=publish,t=nope', SrtRejx.FORBIDDEN],
  ['#!::r=cam-2,m=publish,t=pub-tok', SrtRejx.FORBIDDEN],
  ['#!::r=cam-1,t=old-tok', SrtRejx.FORBIDDEN], // expired
  ['#!::r=cam-1,m=bidirectional,t=view-tok', SrtRejx.BAD_MODE],
  ['cam-1', SrtRejx.BAD_REQUEST],
  ['', SrtRejx.BAD_REQUEST],
  ['#!::', SrtRejx.BAD_REQUEST],
  ['#!::r=cam-1,m=publish', SrtRejx.BAD_REQUEST],
  ['#!::r=cam-1,m=publish,t=pub-tok,', SrtRejx.BAD_REQUEST],
  ['#!::r=cam-1,r=cam-1,m=publish,t=pub-tok', SrtRejx.BAD_REQUEST],
  ['#!::r=,m=publish,t=pub-tok', SrtRejx.BAD_REQUEST],
  ['#!::=x,r=cam-1,t=view-tok', SrtRejx.BAD_REQUEST],
  ['%23%21%3A%3Ar%3Dcam-1%2', SrtRejx.BAD_REQUEST], // broken escape
  ['%23%21%3A%3Ar%3Dcam%00-1%2Ct%3Dview-tok', SrtRejx.BAD_REQUEST], // embedded NUL
  [`#!::r=${'x'.repeat(128)},t=view-tok`, SrtRejx.BAD_REQUEST],
  [`#!::r=cam-1,t=view-tok,x=${'y'.repeat(600)}`, SrtRejx.BAD_REQUEST], // over 512 bytes
];

describe('access-control stream id', () => {
  it.each(cases)('the C callback answers %p with %p', (id, code) => {
    expect(table.check(id)).toBe(code);
  });

  it('the JS re-check parses exactly the ids the C check can admit', () => {
    for (const [id, code] of cases) {
      const parsed = parseStreamId(id);
      if (code === 0) expect(parsed.ok).toBe(true);
      if (code === SrtRejx.BAD_REQUEST || code === SrtRejx.BAD_MODE) expect(parsed).toMatchObject({ ok: false, code });
    }
  });

  it('survives random ids in C and agrees with the JS parser on what is well-formed', () => {
    const alphabet = '#!:=,%rmt0123456789abcdefABCDEF-_ \u00e9';
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const allowed = new Set<number>([0, SrtRejx.BAD_REQUEST, SrtRejx.BAD_MODE, SrtRejx.FORBIDDEN]);
    for (let i = 0; i < 3000; i++) {
      const len = rand(i % 10 === 0 ? 700 : 60);
      let id = i % 3 === 0 ? '#!::' : i % 3 === 1 ? '%23%21%3A%3A' : '';
      for (let k = 0; k < len; k++) id += alphabet[rand(alphabet.length)];
      const code = table.check(id);
      expect(allowed.has(code)).toBe(true);
      const parsed = parseStreamId(id);
      expect(parsed.ok ? 'well-formed' : parsed.code).toBe(code === SrtRejx.FORBIDDEN || code === 0 ? 'well-formed' : code);
    }
  });

  it('formats raw and percent-encoded ids that parse back', () => {
    const id = { resource: 'cam-1', mode: 'publish' as const, token: 'pub-tok' };
    expect(formatStreamId(id)).toBe('#!::r=cam-1,m=publish,t=pub-tok');
    expect(formatStreamId(id, true)).toStartWith('%23%21%3A%3A');
    expect(parseStreamId(formatStreamId(id, true))).toEqual({ ok: true, id });
    expect(table.check(formatStreamId(id, true))).toBe(0);
  });

  it('refuses a second publisher of a live stream with 409 and admits again once it ends', () => {
    table.setLive('cam-1', true);
    expect(table.check('#!::r=cam-1,m=publish,t=pub-tok')).toBe(SrtRejx.CONFLICT);
    expect(table.check('#!::r=cam-1,t=view-tok')).toBe(0);
    table.setLive('cam-1', false);
    expect(table.check('#!::r=cam-1,m=publish,t=pub-tok')).toBe(0);
  });

  it('adds and removes grants while the table is in use', () => {
    table.add({ resource: 'cam-9', token: 'a', mode: 'request' });
    table.add({ resource: 'cam-9', token: 'b', mode: 'request' });
    expect(table.check('#!::r=cam-9,t=a')).toBe(0);
    expect(table.remove('cam-9', 'a')).toBe(1);
    expect(table.check('#!::r=cam-9,t=a')).toBe(SrtRejx.FORBIDDEN);
    expect(table.remove('cam-9')).toBe(1);
    expect(table.check('#!::r=cam-9,t=b')).toBe(SrtRejx.FORBIDDEN);
  });

  it('rejects bad grants: short passphrase, separators in ids, a full table', () => {
    expect(() => table.add({ resource: 'c', token: 't', mode: 'request', passphrase: 'short' })).toThrow(RangeError);
    expect(() => table.add({ resource: 'a,b', token: 't', mode: 'request' })).toThrow(RangeError);
    expect(() => table.add({ resource: 'c', token: '', mode: 'request' })).toThrow(RangeError);
    const tiny = AccessTable.create(1);
    tiny.add({ resource: 'c', token: 't1', mode: 'request' });
    expect(() => tiny.add({ resource: 'c', token: 't2', mode: 'request' })).toThrow('full');
    tiny.free();
  });
});
