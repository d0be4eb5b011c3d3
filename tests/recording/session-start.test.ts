/**
 * A record session while it starts (services/recording/recording.ts, openSession; recording-session.ts, openRowState):
 * its row is written before its actor, on this node or another, and a channel read in between sees a row without an
 * actor. Such a row, young, is a session starting: never closed (closing it let a second session start on the channel,
 * and an alarm's recording fail with an error: found by tests/e2e/fuzz.test.ts), and a start or an alarm meanwhile
 * meets it as a conflict. Only a row older than SESSION_START_GRACE_MS without an actor is one whose start died, and
 * closed. A real database and the real actor host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import client from 'prom-client';
import { ActorHost } from '../../actors/host/host.ts';
import { recordingV1 } from '../../actors/machines/recording.machine.ts';
import { segmentV1 } from '../../actors/machines/segment.machine.ts';
import { recordingSessions } from '../../db/schema.ts';
import { silentLog } from '../../lib/log.ts';
import { DomainError } from '../../services/errors.ts';
import { RecordingService } from '../../services/recording/recording.ts';
import { openRowState, SESSION_START_GRACE_MS } from '../../services/recording/recording-session.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';

const DEVICE = 'CAM-START';
const CHANNEL = 0;
const NOW = Date.UTC(2026, 0, 1);

let t: TestDb;
let host: ActorHost;
let rec: RecordingService;
let dataDir: string;

beforeAll(async () => {
  t = await freshDb();
  dataDir = mkdtempSync(join(tmpdir(), 'h627-session-start-'));
  host = new ActorHost({ db: t.db, machines: [recordingV1, segmentV1], effects: {} });
  rec = new RecordingService({
    db: t.db,
    host,
    log: silentLog,
    cfg: { dataDir },
    metrics: { client, registry: new client.Registry() },
    vd: { request: async () => ({}) as never },
    key: Buffer.alloc(32, 1),
    sessions: { isLive: async () => true },
    access: { sessionReaches: async () => true },
    baseUrl: () => 'https://platform.test',
    deviceBaseUrl: async () => 'https://platform.test',
  });
}, 30_000);
afterAll(async () => {
  await host?.stop();
  await t?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A session's row as createSession writes it before its actor (`at`: its created_at). */
async function rowWithoutActor(id: string, at: Date) {
  await t.db.orm.insert(recordingSessions).values({ id, token: `tok-${id}`, sessionId: `sid-${id}`, deviceId: DEVICE, channel: CHANNEL, createdAt: at });
}
const closedAt = async (id: string) => (await t.db.orm.select().from(recordingSessions).where(eq(recordingSessions.id, id)))[0]?.closedAt ?? null;
const device = { id: DEVICE, channels: [CHANNEL] };

describe('openRowState', () => {
  it('tells an open session, one starting, and a stale row apart', () => {
    expect(openRowState({ status: 'active' }, NOW - 10 * SESSION_START_GRACE_MS, NOW)).toBe('open');
    expect(openRowState({ status: 'done' }, NOW, NOW)).toBe('stale');
    expect(openRowState(undefined, NOW - SESSION_START_GRACE_MS + 1, NOW)).toBe('starting');
    expect(openRowState(undefined, NOW - SESSION_START_GRACE_MS, NOW)).toBe('stale');
  });
});

describe('a session starting on the channel', () => {
  it('is not closed by a read of the channel, and a start or an alarm meanwhile meets it as a conflict', async () => {
    await rowWithoutActor('rec:starting', new Date());
    expect(await rec.openSession(DEVICE, CHANNEL)).toBeUndefined();
    expect(await closedAt('rec:starting')).toBeNull();
    const start = rec.startSession(device, CHANNEL, {}, 'alice');
    await expect(start).rejects.toThrow(DomainError);
    await expect(start).rejects.toThrow(`channel ${CHANNEL} started recording meanwhile`);
    // The alarm effect: the session starting records through the alarm; no error, and nothing closed.
    const alarm = {
      actorId: `pu:${DEVICE}`,
      type: 'recording.alarm',
      context: { deviceId: DEVICE },
      params: { channel: CHANNEL, alarmId: 'a1', recordS: 30, prerecordS: 0 },
    };
    await rec.alarms.open(alarm as never);
    expect(await closedAt('rec:starting')).toBeNull();
  });

  it('is closed once older than the grace without its actor (its start died), and the channel starts afresh', async () => {
    await t.db.orm
      .update(recordingSessions)
      .set({ createdAt: new Date(Date.now() - SESSION_START_GRACE_MS - 1000) })
      .where(eq(recordingSessions.id, 'rec:starting'));
    expect(await rec.openSession(DEVICE, CHANNEL)).toBeUndefined();
    expect(await closedAt('rec:starting')).not.toBeNull();
    const r = await rec.startSession(device, CHANNEL, {}, 'alice');
    expect(r.created).toBe(true);
    expect((await rec.openSession(DEVICE, CHANNEL))?.id).toBe(r.session.recording_id);
  });
});
