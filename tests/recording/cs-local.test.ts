/** The local-disk segment storage (media/cs): streaming puts, exact sizes, atomic publication, ranges, removal. */
import { afterAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadKeyError, checkKey, LocalDiskStorage, MissingObjectError, PART_SUFFIX, SizeMismatchError } from '../../media/cs/index.ts';

const root = mkdtempSync(join(tmpdir(), 'h627-cs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cs = new LocalDiskStorage({ root, fsync: false });

/** A body of `n` chunks of `size` bytes each, filled with `fill`; records how far it was read. */
function chunks(n: number, size: number, fill = 7) {
  const seen = { pulled: 0 };
  async function* gen() {
    for (let i = 0; i < n; i++) {
      seen.pulled++;
      yield new Uint8Array(size).fill(fill + i);
    }
  }
  return { body: gen(), seen };
}

describe('local disk storage', () => {
  it('stores an object streamed in chunks and reads it back whole or by range', async () => {
    const { body } = chunks(4, 64 * 1024);
    await cs.put('CAM/0/2026-01-01/S_1.ts', body, 256 * 1024);
    expect(await cs.stat('CAM/0/2026-01-01/S_1.ts')).toBe(256 * 1024);
    const whole = await cs.get('CAM/0/2026-01-01/S_1.ts');
    expect(whole!.size).toBe(256 * 1024);
    const bytes = new Uint8Array(await (whole!.body as Blob).arrayBuffer());
    expect([bytes[0], bytes[64 * 1024], bytes[256 * 1024 - 1]]).toEqual([7, 8, 10]);
    const part = await cs.get('CAM/0/2026-01-01/S_1.ts', { start: 64 * 1024 - 1, end: 64 * 1024 });
    expect(part!.size).toBe(256 * 1024);
    expect([...new Uint8Array(await (part!.body as Blob).arrayBuffer())]).toEqual([7, 8]);
    expect(readdirSync(join(root, 'CAM/0/2026-01-01'))).toEqual(['S_1.ts']);
  });

  it('refuses a body shorter or longer than declared, leaving nothing behind', async () => {
    const short = chunks(2, 1000);
    const e1 = await cs.put('CAM/0/d/short.ts', short.body, 3000).catch((e) => e);
    expect(e1).toBeInstanceOf(SizeMismatchError);
    expect(e1.message).toBe('received 2000 bytes, the segment was declared as 3000');
    const long = chunks(100, 1000);
    const e2 = await cs.put('CAM/0/d/long.ts', long.body, 2500).catch((e) => e);
    expect(e2).toBeInstanceOf(SizeMismatchError);
    expect(long.seen.pulled).toBe(3); // stopped reading as soon as it was over
    expect(readdirSync(join(root, 'CAM/0/d'))).toEqual([]);
    expect(await cs.get('CAM/0/d/short.ts')).toBeUndefined();
  });

  it('shows an object under its name only when complete', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* slow() {
      yield new Uint8Array(10);
      await gate;
      yield new Uint8Array(10);
    }
    const done = cs.put('CAM/0/d/slow.ts', slow(), 20);
    await Bun.sleep(30);
    expect(existsSync(join(root, 'CAM/0/d/slow.ts'))).toBe(false);
    expect(existsSync(join(root, `CAM/0/d/slow.ts${PART_SUFFIX}`))).toBe(true);
    release();
    await done;
    expect(existsSync(join(root, 'CAM/0/d/slow.ts'))).toBe(true);
    expect(existsSync(join(root, `CAM/0/d/slow.ts${PART_SUFFIX}`))).toBe(false);
  });

  it('removes an object and a leftover partial upload; removing nothing is fine', async () => {
    await Bun.write(join(root, `CAM/0/d/crashed.ts${PART_SUFFIX}`), 'half');
    await cs.remove('CAM/0/d/crashed.ts');
    expect(existsSync(join(root, `CAM/0/d/crashed.ts${PART_SUFFIX}`))).toBe(false);
    await cs.remove('CAM/0/d/slow.ts');
    expect(await cs.stat('CAM/0/d/slow.ts')).toBeUndefined();
    await cs.remove('CAM/0/d/never.ts');
  });

  it('publishes at once and makes an object durable by sync: awaited when in flight, done afresh after a restart', async () => {
    const synced = new LocalDiskStorage({ root, fsync: true });
    await synced.put('CAM/1/x.ts', chunks(1, 100).body, 100);
    expect(await synced.stat('CAM/1/x.ts')).toBe(100); // visible before its flush is awaited
    await synced.sync('CAM/1/x.ts', 100);
    await synced.sync('CAM/1/x.ts', 100); // durable already: resolves again
    const restarted = new LocalDiskStorage({ root, fsync: true });
    await restarted.sync('CAM/1/x.ts', 100);
    await new LocalDiskStorage({ root, fsync: false }).sync('CAM/1/x.ts', 100);
  });

  it('names an object whose bytes are gone or not whole when asked to sync it', async () => {
    const synced = new LocalDiskStorage({ root, fsync: true });
    await synced.put('CAM/1/lost.ts', chunks(2, 50).body, 100);
    await synced.remove('CAM/1/lost.ts');
    const gone = await synced.sync('CAM/1/lost.ts', 100).catch((e) => e);
    expect(gone).toBeInstanceOf(MissingObjectError);
    expect(gone.message).toBe('its bytes are not in storage');
    await Bun.write(join(root, 'CAM/1/cut.ts'), new Uint8Array(60));
    const cut = await synced.sync('CAM/1/cut.ts', 100).catch((e) => e);
    expect(cut).toBeInstanceOf(MissingObjectError);
    expect(cut.message).toBe('storage holds 60 of its 100 bytes');
  });

  it('accepts only relative keys inside its root', () => {
    for (const bad of ['', '/abs', '../up', 'a/../b', 'a//b', '.hidden', 'a/.x', 'a b']) expect(() => checkKey(bad)).toThrow(BadKeyError);
    expect(checkKey('CAM~2d1/0/2026-01-01/S_1-ab.ts')).toBe('CAM~2d1/0/2026-01-01/S_1-ab.ts');
  });
});
