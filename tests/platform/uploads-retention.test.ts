/** Alarms, snapshots and device logs are kept DEVICE_FILES_RETENTION_DAYS, rows and files (issue #19: bounded growth). */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alarms, deviceLogs, snapshots } from '../../db/schema.ts';
import { silentLog } from '../../lib/log.ts';
import { Uploads } from '../../services/uploads/uploads.ts';
import { freshDataDir, freshDb, type TestDb } from '../helpers/db.ts';

let t: TestDb;
let uploads: Uploads;
beforeAll(async () => {
  t = await freshDb();
  const dataDir = await freshDataDir('h627-retention-');
  uploads = new Uploads({ db: t.db, cfg: { filesDir: join(dataDir, 'files') }, log: silentLog, deviceBaseUrl: async () => 'https://h' }, async () => {});
});
afterAll(async () => {
  await t?.cleanup();
});

const DAY_MS = 86_400_000;

describe('retention of device records', () => {
  it('removes alarms, snapshots and logs older than the cutoff with their files, and keeps the rest', async () => {
    const now = Date.now();
    const file = (name: string) => {
      const path = uploads.newFile('alarm', 'CAM-R');
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, name);
      return path;
    };
    const old = new Date(now - 40 * DAY_MS);
    const recent = new Date(now - DAY_MS);
    const oldPic = file('old');
    const newPic = file('new');
    const outside = join(uploads.root, '..', 'not-an-upload.txt');
    writeFileSync(outside, 'kept');
    await t.db.orm.insert(alarms).values([
      { id: 'a-old', deviceId: 'CAM-R', channel: 0, type: 3, state: 'pulse', desc: '', deviceTimestamp: 1, receivedAt: old, picture: oldPic },
      { id: 'a-tampered', deviceId: 'CAM-R', channel: 0, type: 3, state: 'pulse', desc: '', deviceTimestamp: 1, receivedAt: old, picture: outside },
      { id: 'a-new', deviceId: 'CAM-R', channel: 0, type: 3, state: 'pulse', desc: '', deviceTimestamp: 1, receivedAt: recent, picture: newPic },
    ]);
    await t.db.orm.insert(snapshots).values([
      { id: 's-old', deviceId: 'CAM-R', channel: 0, takenAt: old },
      { id: 's-new', deviceId: 'CAM-R', channel: 0, takenAt: recent },
    ]);
    await t.db.orm.insert(deviceLogs).values([
      { deviceId: 'CAM-R', transId: 'old', start: '', end: '', requestedAt: old },
      { deviceId: 'CAM-R', transId: 'new', start: '', end: '', requestedAt: recent },
    ]);
    expect(await uploads.pruneStored(now - 30 * DAY_MS)).toBe(4); // two alarms, a snapshot, a log
    expect((await t.db.orm.select({ id: alarms.id }).from(alarms)).map((r) => r.id)).toEqual(['a-new']);
    expect((await t.db.orm.select({ id: snapshots.id }).from(snapshots)).map((r) => r.id)).toEqual(['s-new']);
    expect((await t.db.orm.select({ id: deviceLogs.transId }).from(deviceLogs)).map((r) => r.id)).toEqual(['new']);
    expect(existsSync(oldPic)).toBe(false);
    expect(existsSync(newPic)).toBe(true);
    expect(existsSync(outside)).toBe(true); // a path outside the uploads' root is never removed
  });
});
