/**
 * Detection events on the database (services/detection/detection-list.ts): listed across the cameras a principal may
 * see (owner, sharee, admin; nobody else), filtered by device, channel, class or group, zone and time, a page at a
 * time on the (at, id) keyset, stable when many events share a time; deleted past the retention and with their
 * device, a bounded batch at a time. PGlite, or PostgreSQL with DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { detections } from '../../../db/schema.ts';
import { DetectionsQuery } from '../../../protocol/detection-api.ts';
import { deleteDeviceDetections, listDetections, pruneDetections } from '../../../services/detection/detection-list.ts';
import type { Principal } from '../../../services/users/principal.ts';
import { freshDb, type TestDb } from '../../helpers/db.ts';

const OWNER = { kind: 'user', role: 'user', userId: 'u-owner', username: 'owner' } as const;
const SHAREE = { kind: 'user', role: 'user', userId: 'u-sharee', username: 'sharee' } as const;
const STRANGER = { kind: 'user', role: 'user', userId: 'u-stranger', username: 'stranger' } as const;
const ADMIN: Principal = { kind: 'admin-token', role: 'admin' };
/** All events of the test share this time, but for those given another: the keyset must still page them apart. */
const T = Date.UTC(2026, 11, 1, 8);
const S = 1000;

const query = (q: Record<string, string>) => DetectionsQuery.parse(q);

describe('detection events on the database', () => {
  let t: TestDb;
  let n = 0;
  const row = (device: string, more: Partial<typeof detections.$inferInsert> = {}) => ({
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    deviceId: device,
    channel: 0,
    at: new Date(T),
    classes: ['person'],
    topScore: 0.7,
    objects: [{ class: 'person', score: 0.7, box: [1, 2, 3, 4] as [number, number, number, number], zones: ['door'] }],
    width: 640,
    height: 480,
    ...more,
  });
  const ids = async (who: Principal, q: Record<string, string> = {}) => (await listDetections(t.db, who, query(q))).detections.map((d) => d.id);

  beforeAll(async () => {
    t = await freshDb();
    for (const u of [OWNER, SHAREE, STRANGER]) await t.db.rows(sql`INSERT INTO users (id, username, password_hash) VALUES (${u.userId}, ${u.username}, 'x')`);
    await t.db.rows(sql`INSERT INTO devices (id, mac_id, password_hash, owner_id) VALUES ('CAM-A', 'a0b1c2d3e401', 'x', ${OWNER.userId})`);
    await t.db.rows(sql`INSERT INTO devices (id, mac_id, password_hash, owner_id) VALUES ('CAM-B', 'a0b1c2d3e402', 'x', ${OWNER.userId})`);
    await t.db.rows(sql`INSERT INTO devices (id, mac_id, password_hash, owner_id) VALUES ('CAM-C', 'a0b1c2d3e403', 'x', ${STRANGER.userId})`);
    await t.db.rows(sql`INSERT INTO device_shares (device_id, user_id, role) VALUES ('CAM-B', ${SHAREE.userId}, 'viewer')`);
    await t.db.orm
      .insert(detections)
      .values([
        ...Array.from({ length: 5 }, () => row('CAM-A')),
        row('CAM-A', { channel: 1, classes: ['dog'], objects: [{ class: 'dog', score: 0.5, box: [0, 0, 1, 1] }], at: new Date(T + 60 * S) }),
        row('CAM-B', { classes: ['car'], objects: [{ class: 'car', score: 0.6, box: [0, 0, 1, 1], zones: ['drive'] }], at: new Date(T - 60 * S) }),
        row('CAM-C'),
      ]);
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('lists the cameras each one may see: the owner both of theirs, a sharee the shared one, an admin all, newest first', async () => {
    const mine = await listDetections(t.db, OWNER, query({}));
    expect(new Set(mine.detections.map((d) => d.device))).toEqual(new Set(['CAM-A', 'CAM-B']));
    expect(mine.detections).toHaveLength(7);
    expect(mine.detections[0]).toMatchObject({ device: 'CAM-A', channel: 1, classes: ['dog'] });
    expect(mine.detections.at(-1)).toMatchObject({ device: 'CAM-B' });
    expect(mine.next).toBeNull();
    expect((await listDetections(t.db, SHAREE, query({}))).detections.map((d) => d.device)).toEqual(['CAM-B']);
    expect((await listDetections(t.db, STRANGER, query({}))).detections.map((d) => d.device)).toEqual(['CAM-C']);
    expect(await ids(ADMIN)).toHaveLength(8);
    // a device filter never widens what one sees
    expect(await ids(SHAREE, { device: 'CAM-A' })).toEqual([]);
  });

  it('filters by device, channel, class or group, zone and time', async () => {
    expect(await ids(OWNER, { device: 'CAM-B' })).toHaveLength(1);
    expect(await ids(OWNER, { channel: '1' })).toHaveLength(1);
    expect(await ids(OWNER, { class: 'animal' })).toHaveLength(1);
    expect(await ids(OWNER, { class: 'vehicle' })).toHaveLength(1);
    expect(await ids(OWNER, { class: 'person' })).toHaveLength(5);
    expect(await ids(OWNER, { zone: 'door' })).toHaveLength(5);
    expect(await ids(OWNER, { zone: 'drive' })).toHaveLength(1);
    expect(await ids(OWNER, { zone: 'nowhere' })).toEqual([]);
    expect(await ids(OWNER, { from: String(T / S), to: String(T / S + 1) })).toHaveLength(5);
    expect(await ids(OWNER, { from: new Date(T + 30 * S).toISOString() })).toHaveLength(1);
  });

  it('pages on the (at, id) keyset: every event once, in order, even when they share a time', async () => {
    const all = await ids(OWNER);
    const seen: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < all.length + 1; page++) {
      const p = await listDetections(t.db, OWNER, query({ limit: '2', ...(before ? { before } : {}) }));
      seen.push(...p.detections.map((d) => d.id));
      expect(p.truncated).toBe(p.next !== null);
      before = p.next;
      if (!before) break;
    }
    expect(seen).toEqual(all);
  });

  it('refuses a bad cursor, a page over the bound, an unknown class, a channel out of range', () => {
    for (const bad of [{ before: 'yesterday' }, { limit: '0' }, { limit: '201' }, { class: 'unicorn' }, { channel: '-1' }, { zone: '' }]) {
      expect(DetectionsQuery.safeParse(bad).success).toBe(false);
    }
  });

  it('deletes events past the retention and those of a device, a bounded batch at a time', async () => {
    // the 5 at T and CAM-B's (a minute before) are older than T + 1 s, in batches of 2
    expect(await pruneDetections(t.db, T + S, 2)).toBe(7);
    expect(await ids(ADMIN)).toHaveLength(1);
    expect(await deleteDeviceDetections(t.db, 'CAM-A', 2)).toBe(1);
    expect(await ids(ADMIN)).toEqual([]);
  });
});
