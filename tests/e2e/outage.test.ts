/**
 * A database outage (issue #19, point 7), end to end on PostgreSQL: the platform's own test
 * database refuses connections for OUTAGE_MS (`ALTER DATABASE … ALLOW_CONNECTIONS false` and its
 * backends terminated, from a connection to another database; the shared server never stops)
 * while devices are connected and keeping alive at a short heartbeat interval, one of them
 * recording. During it: the API, Vr, Vs and a new Vd login answer 503 with Retry-After, /healthz
 * names the database, Vd sockets stay open and keepalives are answered, messages that need the
 * database get a 5xx `err`. After it: every device is online within one heartbeat interval, the
 * recording confirms segments again, and nothing acknowledged before is lost.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type postgres from 'postgres';
import { COMMIT_WAIT_MAX_MS } from '../../actors/host/committer.ts';
import { pgClient } from '../../db/client.ts';
import { Recorder, type MediaHooks } from '../../device/index.ts';
import type { StartRecordParams } from '../../protocol/index.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice, tryUpgrade } from '../helpers/vd-client.ts';
import { CAM_PASSWORD, onlineCam, until, userToken, VrClient, type TestCam } from '../recording/helpers.ts';

setDefaultTimeout(120_000);

/** Heartbeat interval of the platform under test (short, so that offline would come within the outage). */
const HB_INTERVAL_S = 2;
/** How long the database refuses connections (the 20 s). */
const OUTAGE_MS = 20_000;
/** What a request that waits for a commit may take beyond the committer's bound (a check interval, the HTTP round trip). */
const COMMIT_WAIT_SLACK_MS = 1500;
/** How long after the outage the recording may take to confirm a segment again. */
const RECORDING_RESUME_MS = 20_000;
const SKIP_REASON = 'PostgreSQL only: an embedded PGlite cannot become unreachable (set DATABASE_URL to run it)';

/** One keepalive sent by the hand-driven device, and how it was answered. */
interface KeepaliveAnswer {
  at: number;
  ok: boolean;
  err?: { code: number; msg: string };
}

describe.skipIf(!TEST_PG_URL)(`a 20 s database outage with devices connected and recording (${SKIP_REASON})`, () => {
  let p: TestPlatform;
  let admin: postgres.Sql;
  let dbName: string;
  let alice: string;
  let recorder: Recorder;
  let cams: TestCam[] = [];
  let raw: RawDevice;
  let rawTimer: ReturnType<typeof setInterval> | undefined;
  const rawAnswers: KeepaliveAnswer[] = [];
  const starts: StartRecordParams[] = [];
  const stateChanges: Array<{ id: string; state: string; at: number }> = [];
  let confirmedBefore: string[] = [];
  let alarmsBefore: string[] = [];
  let outageStart = 0;
  let outageEnd = 0;

  const RAW = { device_id: 'CAM-OUT-RAW', mac: 'a0b1c2d3e5f0' };
  /** Provisioned, never logged in: its login needs the database. */
  const NEW_CAM = { device_id: 'CAM-OUT-NEW', mac: 'a0b1c2d3e5f1' };

  /** Send one keepalive from the hand-driven device and note its answer. */
  const rawKeepalive = async () => {
    const at = Date.now();
    try {
      const f = await raw.call('Keepalive', { state: 1, channels: [{ channel: 0, state: 1, alarm: 0 }] }, HB_INTERVAL_S * 1000);
      rawAnswers.push({ at, ok: f.err === undefined, ...(f.err ? { err: f.err } : {}) });
    } catch {
      rawAnswers.push({ at, ok: false });
    }
  };

  beforeAll(async () => {
    p = await startTestPlatform({ HB_INTERVAL_S: String(HB_INTERVAL_S), RECORDING_UPLOAD_TTL_S: '5', RECORDING_CONFIRM_TTL_S: '5' });
    const url = new URL(p.env.DATABASE_URL!);
    dbName = decodeURIComponent(url.pathname.slice(1));
    url.pathname = '/postgres';
    admin = pgClient(url.toString(), { max: 1, onnotice: () => {} });
    alice = await userToken(p, 'alice');
    recorder = new Recorder({ tls: { rejectUnauthorized: false } });
    const hooks: MediaHooks = {
      ...recorder.hooks,
      onStartRecord: (params, ctx) => {
        starts.push(params);
        return recorder.hooks.onStartRecord!(params, ctx);
      },
    };
    cams = [
      await onlineCam(p, 'CAM-OUT-1', 'a0b1c2d3e501', hooks, alice),
      await onlineCam(p, 'CAM-OUT-2', 'a0b1c2d3e502', {}, alice),
      await onlineCam(p, 'CAM-OUT-3', 'a0b1c2d3e503', {}, alice),
    ];
    for (const c of cams) c.dev.on('state', (s) => stateChanges.push({ id: c.id, state: s.state, at: Date.now() }));
    for (const d of [RAW, NEW_CAM]) {
      expect(
        (
          await p.api('/api/admin/devices', {
            method: 'POST',
            body: JSON.stringify({ device_id: d.device_id, password: CAM_PASSWORD, mac_id: d.mac, channels: [0] }),
          })
        ).status,
      ).toBe(201);
    }
    raw = await RawDevice.connect(p.url, { login_code: RAW.device_id, login_passwd: CAM_PASSWORD, hardware_model: 'HC-C200', firmware_model: 'V1.0' });
    expect((await raw.call('GetServerInfo')).resp).toMatchObject({ hb_interval: HB_INTERVAL_S }); // with the hibernation server and hb_token
    await rawKeepalive();
    rawTimer = setInterval(() => void rawKeepalive(), HB_INTERVAL_S * 1000);

    // Recording, with segments confirmed; alarms acknowledged (the device got its answer).
    expect(
      (await p.api(`/api/devices/CAM-OUT-1/channels/0/recording`, { token: alice, method: 'POST', body: JSON.stringify({ seg_duration: 1 }) })).status,
    ).toBe(201);
    await until(
      () => recorder.events.filter((e) => e.kind === 'confirmed').length,
      (n) => n >= 2,
      30_000,
      'two confirmed segments',
    );
    confirmedBefore = recorder.events.filter((e) => e.kind === 'confirmed').map((e) => e.name!);
    await cams[1]!.dev.camera.raiseAlarm(3, 'start');
    const a = await raw.call('AlarmNotify', { channel: 0, timestamp: Math.floor(Date.now() / 1000), type: 3, state: 'end', desc: 'before the outage' });
    expect(a.err).toBeUndefined();
    const listed = await (await p.api('/api/devices/CAM-OUT-2/alarms', { token: alice })).json();
    alarmsBefore = listed.alarms.map((x: { id: string }) => x.id);
    expect(alarmsBefore.length).toBe(1);
  }, 120_000);

  afterAll(async () => {
    if (rawTimer) clearInterval(rawTimer);
    if (admin && dbName) await admin.unsafe(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`).catch(() => {});
    await Promise.all(cams.map((c) => c.dev.stop().catch(() => {})));
    raw?.close();
    await admin?.end();
    await p?.cleanup();
  });

  describe('while the database refuses connections', () => {
    beforeAll(async () => {
      outageStart = Date.now();
      await admin.unsafe(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
      await admin.unsafe(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
    });

    it('answers the API with 503 problem JSON and Retry-After, naming the database, without SQL', async () => {
      const r = await p.api('/api/devices', { token: alice });
      expect(r.status).toBe(503);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      const body = await r.json();
      expect(body).toMatchObject({ status: 503, title: 'Service Unavailable' });
      expect(body.detail).toContain('database');
      expect(JSON.stringify(body)).not.toMatch(/select|insert|update|postgres|\bat\b.*\.ts/i);
    });

    it('answers /healthz with 503 naming the database, and /metrics still answers', async () => {
      const r = await fetch(`${p.url}/healthz`, INSECURE as RequestInit);
      expect(r.status).toBe(503);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await r.json()).toEqual({ status: 'unavailable', db: 'postgres', error: 'database unreachable' });
      expect((await fetch(`${p.url}/metrics`, INSECURE as RequestInit)).status).toBe(200);
    });

    it('answers Vr, Vs and a new Vd login with 503 {info} and Retry-After', async () => {
      const vr = await new VrClient(starts[0]!.cbk_url, cams[0]!.mac).post({ op: 'stat', dropped_nb: 0, dropped_time: 0 });
      expect(vr.status).toBe(503);
      expect(Number(vr.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(String(vr.body.info)).toContain('unavailable');
      const vs = await fetch(`${p.url}/Vs/getServerAddr?macid=${cams[1]!.mac}`, INSECURE as RequestInit);
      expect(vs.status).toBe(503);
      expect(Number(vs.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(String((await vs.json()).info)).toContain('unavailable');
      const login = await tryUpgrade(p.url, { login_code: NEW_CAM.device_id, login_passwd: CAM_PASSWORD, hardware_model: 'h', firmware_model: 'f' });
      expect(login.status).toBe(503);
      expect(Number(login.headers['retry-after'])).toBeGreaterThan(0);
      expect(JSON.parse(login.body).info).toContain('unavailable');
    });

    it('answers requests that wait for a commit (a Vr create, a history read that flushes first) with 503 within the commit wait bound', async () => {
      const t0 = Date.now();
      const [create, history] = await Promise.all([
        new VrClient(starts[0]!.cbk_url, cams[0]!.mac).create({ size: 1000, start: Date.now() / 1000, duration: 1 }),
        p.api('/api/actors/pu:CAM-OUT-1/history'),
      ]);
      expect([create.status, history.status]).toEqual([503, 503]);
      expect(Number(create.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(history.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Date.now() - t0).toBeLessThan(COMMIT_WAIT_MAX_MS + COMMIT_WAIT_SLACK_MS);
    });

    it('keeps Vd sockets open: keepalives are answered, a message that needs the database gets a 5xx err', async () => {
      const a = await raw.call(
        'AlarmNotify',
        { channel: 0, timestamp: Math.floor(Date.now() / 1000), type: 3, state: 'start', desc: 'during the outage' },
        10_000,
      );
      expect(a.err!.code).toBeGreaterThanOrEqual(500);
      expect(a.err!.code).toBeLessThanOrEqual(599);
      expect(a.err!.msg).toContain('temporarily unavailable');
      expect(a.err!.msg).not.toMatch(/select|insert|postgres/i);
      expect(raw.closed).toBeUndefined();
    });

    it('lasts its 20 s with every socket open, every keepalive answered and the platform alive', async () => {
      await Bun.sleep(Math.max(0, outageStart + OUTAGE_MS - Date.now()));
      const during = rawAnswers.filter((k) => k.at >= outageStart);
      expect(during.length).toBeGreaterThanOrEqual(OUTAGE_MS / (HB_INTERVAL_S * 1000) - 2);
      expect(during.filter((k) => !k.ok)).toEqual([]);
      expect(raw.closed).toBeUndefined();
      expect(stateChanges.filter((s) => s.at >= outageStart)).toEqual([]); // no simulated camera lost its connection
      expect(p.proc.exitCode).toBeNull();
    });
  });

  describe('after the database accepts connections again', () => {
    beforeAll(async () => {
      await admin.unsafe(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
      outageEnd = Date.now();
    });

    it('has every device online and connected within one heartbeat interval', async () => {
      const ids = [...cams.map((c) => c.id), RAW.device_id];
      // `until` fails past its bound: one heartbeat interval from the database's return.
      await until(
        async () => (await p.api('/api/devices')).json() as Promise<{ devices?: Array<{ device_id: string; state: string; connected: boolean }> }>,
        (b) => ids.every((id) => b.devices?.some((d) => d.device_id === id && d.state.startsWith('online') && d.connected)),
        outageEnd + HB_INTERVAL_S * 1000 - Date.now(),
        'every device online and connected',
      );
      // They kept alive throughout: none was ever taken offline, not even for a moment.
      for (const id of ids) {
        const events: Array<{ at: number; value: unknown }> = (await (await p.api(`/api/actors/pu:${id}/history?limit=500`)).json()).events;
        expect({ id, offline: events.filter((e) => e.at >= outageStart && e.value === 'offline') }).toEqual({ id, offline: [] });
      }
      expect((await fetch(`${p.url}/healthz`, INSECURE as RequestInit)).status).toBe(200);
    });

    it('confirms recorded segments again', async () => {
      await until(
        () => recorder.events.filter((e) => e.kind === 'confirmed' && e.at > outageEnd).length,
        (n) => n >= 1,
        RECORDING_RESUME_MS,
        'a segment confirmed after the outage',
      );
      const r = await p.api(`/api/devices/CAM-OUT-1/channels/0/recordings?from=${Math.floor(outageStart / 1000) - 600}`, { token: alice });
      const listing = await r.json();
      expect({ status: r.status, listing }).toMatchObject({ status: 200 });
      const names = listing.segments.map((s: { name: string }) => s.name);
      for (const n of confirmedBefore) expect(names).toContain(n);
    });

    it('lost nothing acknowledged: alarms are there, every actor history is continuous, no write was refused', async () => {
      const listed = await (await p.api('/api/devices/CAM-OUT-2/alarms', { token: alice })).json();
      for (const id of alarmsBefore) expect(listed.alarms.map((x: { id: string }) => x.id)).toContain(id);
      const actors: Array<{ id: string; seq: number }> = (await (await p.api('/api/actors?limit=1000')).json()).actors;
      expect(actors.length).toBeGreaterThan(cams.length);
      for (const listed of actors) {
        const a: { id: string; seq: number } = await (await p.api(`/api/actors/${encodeURIComponent(listed.id)}`)).json();
        const seqs: number[] = [];
        for (let after = -1; ; ) {
          const page: Array<{ seq: number }> = (await (await p.api(`/api/actors/${encodeURIComponent(a.id)}/history?after=${after}&limit=500`)).json()).events;
          if (page.length === 0) break;
          seqs.push(...page.map((e) => e.seq));
          after = page.at(-1)!.seq;
        }
        // Continuous from 0, and at least up to the view read just before: an actor may move on in between (a
        // segment whose confirmation TTL runs out during the walk), never lose a row.
        expect({ id: a.id, seqs }).toEqual({ id: a.id, seqs: Array.from({ length: seqs.length }, (_, i) => i) });
        expect(seqs.length).toBeGreaterThanOrEqual(a.seq + 1);
      }
      expect(p.lines.filter((l) => l.includes('actor write refused'))).toEqual([]);
    });
  });
});
