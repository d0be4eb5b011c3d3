/**
 * The events page's API (issue #23 point 3, docs/console.md "Events"): `GET /api/events/history` against a real
 * platform with simulated cameras. Alarms, offline and back online are recorded from the actors' transitions; a user
 * sees their cameras' events only, filtered by camera, kind and time, a page at a time; bad filters are refused.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { json, startConsoleWorld, tokenOf, type ConsoleWorld } from '../browser/helpers.ts';
import { until } from '../helpers/wait.ts';

setDefaultTimeout(120_000);

interface Ev {
  id: string;
  kind: string;
  device_id: string;
  channel: number | null;
  at: string;
  data: Record<string, unknown>;
}
type Page = { events: Ev[]; next: string | null };

describe('GET /api/events/history', () => {
  let w: ConsoleWorld;
  let alice: string;
  let bob: string;
  const history = (token: string, query = '') => json<Page>(w.p, `/api/events/history${query}`, { token });

  beforeAll(async () => {
    // 1 s heartbeats: a camera that drops is offline within seconds (3 intervals, NOTES 3).
    w = await startConsoleWorld({ env: { HB_INTERVAL_S: '1' } });
    alice = await tokenOf(w.p, 'alice', w.users.alice);
    bob = await tokenOf(w.p, 'bob', w.users.bob);
    await w.cams.alice.camera.raiseAlarm(3);
    await w.cams.alice.camera.raiseAlarm(3, 'end');
    await w.cams.bob.camera.raiseAlarm(10);
    // Alice's camera drops, is offline, and comes back.
    await w.cams.alice.stop();
    await until(
      async () => (await history(alice, '?kind=offline')).events.length,
      (n) => n >= 1,
      30_000,
    );
    await w.cams.alice.start();
    await w.cams.alice.waitFor('online', 30_000);
    await until(
      async () => (await history(alice, '?kind=online')).events.length,
      (n) => n >= 2,
      30_000,
    );
  });

  afterAll(async () => {
    await w?.stop();
  });

  it("lists a user's cameras' alarms, offline and back online, newest first, and nothing of another user's", async () => {
    const mine = await history(alice);
    expect(mine.events.every((e) => e.device_id === 'CAM-ALICE')).toBe(true);
    const kinds = mine.events.map((e) => (e.kind === 'alarm' ? `alarm:${e.data.state}` : e.kind)).reverse();
    // Oldest first here: the first login, the alarm's start and end, the drop, the return.
    expect(kinds).toEqual(['online', 'alarm:start', 'alarm:end', 'offline', 'online']);
    const times = mine.events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const alarm = mine.events.find((e) => e.kind === 'alarm')!;
    expect(alarm).toMatchObject({ channel: 0, data: { type: 3, name: 'motion' } });
    expect(typeof alarm.data.alarm_id).toBe('string');
    expect(mine.events.find((e) => e.kind === 'offline')!.data.reason).toBeString();

    const bobs = await history(bob);
    expect(bobs.events.map((e) => e.device_id)).toEqual(bobs.events.map(() => 'CAM-BOB'));
    expect(bobs.events.some((e) => e.kind === 'alarm' && e.data.type === 10)).toBe(true);
    // Another user's camera named as a filter: a 404, as every route answers for it.
    const r = await w.p.api('/api/events/history?device=CAM-BOB', { token: alice });
    expect(r.status).toBe(404);
    // The admin sees both.
    const all = await history(w.p.adminToken);
    expect(new Set(all.events.map((e) => e.device_id))).toEqual(new Set(['CAM-ALICE', 'CAM-BOB']));
  });

  it('filters by camera, kind and time range', async () => {
    const alarms = await history(alice, '?kind=alarm');
    expect(alarms.events.map((e) => e.data.state)).toEqual(['end', 'start']);
    const both = await history(alice, '?kind=offline,online&device=CAM-ALICE');
    expect(both.events.map((e) => e.kind)).toEqual(['online', 'offline', 'online']);
    const [, start] = alarms.events as [Ev, Ev];
    const from = Date.parse(start.at);
    const after = await history(alice, `?from=${from + 1}`);
    expect(after.events.some((e) => e.id === start.id)).toBe(false);
    expect(after.events.length).toBeGreaterThan(0);
    const upTo = await history(alice, `?to=${new Date(from + 1).toISOString()}`);
    expect(upTo.events.map((e) => e.kind).sort()).toEqual(['alarm', 'online']);
  });

  it('pages with a cursor: every event once, in order, the last page without next', async () => {
    const all = await history(alice);
    const seen: Ev[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const page: Page = await history(alice, `?limit=2${next ? `&before=${encodeURIComponent(next)}` : ''}`);
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events);
      next = page.next;
      pages++;
    } while (next && pages < 10);
    expect(next).toBeNull();
    expect(seen.map((e) => e.id)).toEqual(all.events.map((e) => e.id));
    expect(pages).toBe(Math.ceil(all.events.length / 2));
  });

  it("records a recording's failure and a firmware upgrade's failure and success", async () => {
    const firmware = Bun.serve({
      port: 0,
      fetch: (req) => (new URL(req.url).pathname === '/fw2.bin' ? new Response(new Uint8Array(64 * 1024).fill(7)) : new Response('no', { status: 404 })),
    });
    try {
      // These cameras record nothing (no recording handler): StartRecord fails, and the session with it.
      const rec = await w.p.api('/api/devices/CAM-BOB/channels/0/recording', { method: 'POST', token: bob, body: '{}' });
      expect(rec.status).toBeLessThan(300);
      const failed = await until(
        async () => (await history(bob, '?kind=recording_failed')).events,
        (e) => e.length >= 1,
        30_000,
      );
      expect(failed[0]).toMatchObject({ device_id: 'CAM-BOB', channel: 0, data: { reason: expect.stringContaining('StartRecord') } });

      const upgrade = (url: string, model: string) =>
        w.p.api('/api/devices/CAM-BOB/rpc', {
          method: 'POST',
          token: bob,
          body: JSON.stringify({ event: 'UpgradeFirmware', params: { firmware_model: model, url } }),
        });
      expect((await upgrade(`http://127.0.0.1:${firmware.port}/missing.bin`, 'FW-BAD')).status).toBe(200);
      const bad = await until(
        async () => (await history(bob, '?kind=firmware_failed')).events,
        (e) => e.length >= 1,
        60_000,
      );
      expect(bad[0]!.data).toMatchObject({ firmware: 'FW-BAD' });
      expect((await upgrade(`http://127.0.0.1:${firmware.port}/fw2.bin`, 'FW2')).status).toBe(200);
      const good = await until(
        async () => (await history(bob, '?kind=firmware_done')).events,
        (e) => e.length >= 1,
        60_000,
      );
      expect(good).toHaveLength(1);
      expect(good[0]!.data).toMatchObject({ firmware: 'FW2' });
      // Alice sees none of it.
      expect((await history(alice, '?kind=recording_failed,firmware_failed,firmware_done')).events).toEqual([]);
    } finally {
      firmware.stop(true);
    }
  });

  it('refuses bad filters naming what was wrong', async () => {
    const cases: Array<[string, string]> = [
      ['?kind=fire', 'kind'],
      ['?limit=201', 'limit'],
      ['?limit=0', 'limit'],
      ['?from=yesterday', 'from'],
      ['?before=nope', 'before'],
    ];
    for (const [q, field] of cases) {
      const r = await w.p.api(`/api/events/history${q}`, { token: alice });
      expect(r.status).toBe(400);
      expect((await r.json()).detail).toContain(field);
    }
    expect((await fetch(`${w.p.url}/api/events/history`, { tls: { rejectUnauthorized: false } } as RequestInit)).status).toBe(401);
  });
});
