/**
 * The platform the fuzz runs against, set up as real users and cameras would leave it, so that
 * inputs reach deep code paths and not only the first validation: users signed in, cameras
 * provisioned, bound and connected over Vd, a record session running (a real Vr channel id), a
 * live viewer grant, upload URLs from Snapshot and LogUploadAsync. Also what every target shares:
 * the pools of real values learnt on the way (how an HTTP answer is counted and judged is in
 * http-judge.ts).
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestPlatform, type TestPlatform } from '../../helpers/platform.ts';
import { VD_EXAMPLES } from '../../protocol/vd-examples.ts';
import type { VdName } from '../../../protocol/index.ts';
import { Tally } from './tally.ts';
import type { Pools } from './values.ts';
import { FuzzConn, type DeviceCreds, type InFrame } from './vd-conn.ts';

/** Password of every fuzz camera and user (long enough for the platform's minimum). */
export const FUZZ_PASSWORD = 'fuzz-password-19';
/** The cameras the login fuzz logs in as are `<id>-<n>`; `<id>-W` takes the wrong passwords. */
export const VICTIM_ID = 'FZ-VICTIM';
/** Most entries a pool keeps (the oldest go first). */
const POOL_MAX = 200;
/** Segment parameters of the fuzz's record session: short and small, so creates and uploads are cheap. */
export const REC_SEG_DURATION_S = 2;
export const REC_SEG_MAX_SIZE_BYTES = 64 * 1024;
/**
 * REC's channels (an NVR), and how many of them record from the start: Vr budgets requests per
 * record session, so the Vr fuzz spreads over many sessions to get past the budget to the ops.
 */
export const REC_CHANNELS = 24;
export const REC_RECORDING_CHANNELS = 20;
/** Cameras whose Vd connections carry the frame fuzz (budgets and log-in limits are per camera). */
export const FUZZ_CAMERAS = 10;
/** Cameras the login fuzz logs in to with the right password (successful logins are budgeted per camera). */
export const VICTIMS = 4;
/**
 * The Vd message budget the fuzz's platform runs with: high, so that frames reach their handlers
 * rather than the budget (which has its own test); every other budget stays as shipped.
 */
export const FUZZ_PLATFORM_ENV = { VD_MESSAGES_PER_S: '100000', VD_MESSAGE_BURST: '1000000' };
/** How long set-up steps may wait for the platform. */
const SETUP_WAIT_MS = 15_000;

/** Everything the targets share. */
export interface World {
  p: TestPlatform;
  seed: number;
  /** Unique per run: names the files traversal payloads try to create. */
  marker: string;
  tally: Tally;
  pools: Pools;
  tokens: { admin: string; alice: string; bob: string };
  rec: DeviceCreds;
  ans: DeviceCreds[];
  fz: DeviceCreds[];
  /** Cameras only the login fuzz uses: the right password goes to the first, wrong ones to the second. */
  victims: DeviceCreds[];
  conns: { rec: FuzzConn; ans: FuzzConn[]; fz: FuzzConn[] };
  /** The input behind error lines of the log no answer showed, by line index (see vd-target's attribution). */
  attributions: Map<number, { target: string; where: string; repro: string }>;
  /** Set when a runner failed: every other runner stops too. */
  stopped: boolean;
  /** REC's channels that record (each its own Vr channel id, with its own request budget): the fuzz never stops them. */
  recording: Set<number>;
}

/** Whether a runner goes on: inputs left, time left, no runner failed, the platform alive. */
export function going(w: World, next: number, quota: number, deadline: number): boolean {
  return next < quota && Date.now() < deadline && !w.stopped && w.p.proc.exitCode === null;
}

/** Add a value to a pool (once). */
export function remember(w: World, pool: string, value: string | undefined): void {
  if (!value) return;
  let list = w.pools.get(pool);
  if (!list) w.pools.set(pool, (list = []));
  if (list.includes(value)) return;
  list.push(value);
  if (list.length > POOL_MAX) list.shift();
}

const cam = (id: string, n: number, channels: number[]): DeviceCreds => ({
  id,
  password: FUZZ_PASSWORD,
  mac: `f0:0d:19:00:00:${n.toString(16).padStart(2, '0')}`,
  channels,
});

async function until<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + SETUP_WAIT_MS;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`fuzz set-up: ${what} not within ${SETUP_WAIT_MS} ms (${JSON.stringify(v).slice(0, 300)})`);
    await Bun.sleep(50);
  }
}

/** The example answer of a platform → PU RPC (Appendix I), `{}` where it has none. */
export function exampleResp(name: string): unknown {
  return (VD_EXAMPLES as Record<string, { resp?: unknown }>)[name as VdName]?.resp ?? {};
}

/** Start the platform and set up users, cameras, a record session, a live grant and upload URLs. */
export async function setupWorld(seed: number, marker: string): Promise<World> {
  const p = await startTestPlatform({
    LOG_LEVEL: 'info',
    ...FUZZ_PLATFORM_ENV,
    ...(process.env.FUZZ_PROF ? { BUN_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.FUZZ_PROF}` } : {}),
  });
  const w = {
    p,
    seed,
    marker,
    tally: new Tally(p, p.dataDir),
    pools: new Map(),
    stopped: false,
    attributions: new Map(),
    rec: cam(
      'FZ-REC',
      1,
      Array.from({ length: REC_CHANNELS }, (_, i) => i),
    ),
    ans: [cam('FZ-ANS-A', 2, [0, 1]), cam('FZ-ANS-B', 3, [0])],
    fz: Array.from({ length: FUZZ_CAMERAS }, (_, i) => cam(`FZ-${i + 1}`, 0x10 + i + 1, [0])),
    victims: [...Array.from({ length: VICTIMS }, (_, i) => cam(`${VICTIM_ID}-${i}`, 0x80 + i, [0])), cam(`${VICTIM_ID}-W`, 0x7f, [0])],
    recording: new Set(Array.from({ length: REC_RECORDING_CHANNELS }, (_, i) => i)),
  } as unknown as World;
  const json = async (r: Response, want: number, what: string) => {
    if (r.status !== want) throw new Error(`fuzz set-up: ${what} answered ${r.status} ${await r.text()}`);
    return r.status === 204 ? {} : r.json();
  };
  const signIn = async (username: string) =>
    (
      await json(
        await fetch(`${p.url}/api/session`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username, password: FUZZ_PASSWORD }),
          tls: { rejectUnauthorized: false },
        } as RequestInit),
        201,
        `sign-in of ${username}`,
      )
    ).token as string;
  for (const username of ['alice', 'bob', 'carol']) {
    await json(await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify({ username, password: FUZZ_PASSWORD }) }), 201, `user ${username}`);
  }
  w.tokens = { admin: p.adminToken, alice: await signIn('alice'), bob: await signIn('bob') };
  for (let i = 0; i < 3; i++) remember(w, 'disposableToken', await signIn('carol'));
  for (const d of [w.rec, ...w.ans, ...w.fz, ...w.victims]) {
    await json(
      await p.api('/api/admin/devices', {
        method: 'POST',
        body: JSON.stringify({ device_id: d.id, password: d.password, mac_id: d.mac, channels: d.channels }),
      }),
      201,
      `provisioning ${d.id}`,
    );
    remember(w, 'deviceId', d.id);
    for (const form of [d.mac, d.mac.replaceAll(':', ''), d.mac.toUpperCase(), d.mac.replaceAll(':', '-')]) remember(w, 'mac', form);
  }
  // Every camera answers politely while the world is set up; the fuzz's answering policy comes after.
  const connect = async (d: DeviceCreds) => {
    const c = new FuzzConn(p.url, d);
    c.onPlatformRequest = (conn, f) => politeAnswer(w, conn, f);
    if (!(await c.connect())) throw new Error(`fuzz set-up: ${d.id} could not log in over Vd`);
    return c;
  };
  w.conns = { rec: await connect(w.rec), ans: await Promise.all(w.ans.map(connect)), fz: await Promise.all(w.fz.map(connect)) };
  for (const c of [w.conns.rec, ...w.conns.ans]) c.keepAlive();
  // Bind: alice owns REC, ANS-A, FZ-1, FZ-2; bob owns ANS-B, FZ-3, FZ-4; the other cameras stay unbound.
  const owners: [FuzzConn, string][] = [
    [w.conns.rec, w.tokens.alice],
    [w.conns.ans[0]!, w.tokens.alice],
    [w.conns.fz[0]!, w.tokens.alice],
    [w.conns.fz[1]!, w.tokens.alice],
    [w.conns.ans[1]!, w.tokens.bob],
    [w.conns.fz[2]!, w.tokens.bob],
    [w.conns.fz[3]!, w.tokens.bob],
  ];
  for (const [c, token] of owners) {
    const code = (await json(await p.api('/api/bind-codes', { method: 'POST', token }), 201, 'bind code')).bind_code as string;
    c.send(JSON.stringify({ event: 'Bind', params: { bind_id: code } }));
    await until(
      `${c.dev.id} bound`,
      async () => (await p.api(`/api/devices/${c.dev.id}`, { token })).status,
      (s) => s === 200,
    );
  }
  for (const token of [w.tokens.alice, w.tokens.alice, w.tokens.bob]) {
    remember(w, 'bindCode', (await json(await p.api('/api/bind-codes', { method: 'POST', token }), 201, 'bind code')).bind_code);
  }
  // Running record sessions: each Vr URL arrives with its StartRecord.
  for (const ch of w.recording) {
    await json(
      await p.api(`/api/devices/${w.rec.id}/channels/${ch}/recording`, {
        method: 'POST',
        token: w.tokens.alice,
        body: JSON.stringify({ seg_duration: REC_SEG_DURATION_S, seg_max_size: REC_SEG_MAX_SIZE_BYTES }),
      }),
      201,
      'start recording',
    );
  }
  const cbks = await until(
    'StartRecord',
    () => w.pools.get('cbkUrl') ?? [],
    (l) => l.length >= w.recording.size,
  );
  for (const u of cbks) remember(w, 'channelId', u.split('/').at(-1));
  for (const ch of w.recording) {
    await until(
      `recording on ${ch}`,
      async () => (await (await p.api(`/api/devices/${w.rec.id}/channels/${ch}/recording`, { token: w.tokens.alice })).json()).state,
      (s) => s === 'recording',
    );
  }
  // A live viewer grant (PushLive answered by ANS-A).
  const live = await json(await p.api(`/api/devices/${w.ans[0]!.id}/channels/0/live`, { method: 'POST', token: w.tokens.alice, body: '{}' }), 201, 'live');
  harvestJson(w, live);
  // Upload URLs: a snapshot the camera uploads, a log it does not (a grant still unused).
  harvestJson(
    w,
    await json(
      await p.api(`/api/devices/${w.ans[0]!.id}/rpc`, {
        method: 'POST',
        token: w.tokens.alice,
        body: JSON.stringify({ req: 'Snapshot', params: { channel: 0 } }),
      }),
      200,
      'Snapshot',
    ),
  );
  harvestJson(
    w,
    await json(
      await p.api(`/api/devices/${w.ans[0]!.id}/rpc`, {
        method: 'POST',
        token: w.tokens.alice,
        body: JSON.stringify({ req: 'LogUploadAsync', params: { trans_id: 'fz-log-1', start: '2022-03-16T00:00:00', end: '2022-03-16T08:00:00' } }),
      }),
      200,
      'LogUploadAsync',
    ),
  );
  for (const a of (await json(await p.api('/api/actors?limit=200'), 200, 'actors')).actors as { id: string }[]) remember(w, 'actorId', a.id);
  return w;
}

/** The well-behaved camera's answer: the example answer; StartRecord's Vr URL and Snapshot's upload kept (Snapshot uploaded first). */
function politeAnswer(w: World, conn: FuzzConn, f: InFrame & { req: string; seq: number }): void {
  const answer = () => conn.send(JSON.stringify({ seq: f.seq, resp: exampleResp(f.req) }));
  const url = typeof f.params?.url === 'string' ? f.params.url : undefined;
  if (f.req === 'StartRecord' && typeof f.params?.cbk_url === 'string') remember(w, 'cbkUrl', f.params.cbk_url);
  if (f.req === 'StartRecord' || f.req === 'StopRecord') remember(w, 'recordSession', String(f.params?.session_id ?? ''));
  if (url && (f.req === 'Snapshot' || f.req === 'LogUploadAsync')) remember(w, 'uploadUrl', url);
  if (url && f.req === 'Snapshot') {
    fetch(url, { method: 'PUT', body: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), tls: { rejectUnauthorized: false } } as RequestInit)
      .then((r) => r.arrayBuffer())
      .finally(answer);
    return;
  }
  answer();
}

/** Keep the real values an answer names (ids, tokens, codes, URLs) for later inputs. */
export function harvestJson(w: World, body: unknown): void {
  if (!body || typeof body !== 'object') return;
  const b = body as Record<string, unknown>;
  const keep: [string, string][] = [
    ['snapshot_id', 'snapshotId'],
    ['trans_id', 'transId'],
    ['stream_id', 'streamId'],
    ['bind_code', 'bindCode'],
    ['session_id', 'recordSession'],
    ['recording_id', 'actorId'],
  ];
  for (const [field, pool] of keep) if (typeof b[field] === 'string') remember(w, pool, b[field] as string);
  for (const v of Object.values(b)) {
    if (typeof v === 'string' && v.startsWith('wss://') && v.includes('/media/live/')) remember(w, 'wsUrl', v);
  }
  if (Array.isArray(b.alarms)) for (const a of b.alarms as { id?: string }[]) remember(w, 'alarmId', a.id);
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds a process has used so far (user + system), from /proc; 0 where it cannot be read. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ; // utime and stime: fields 14 and 15 of stat
  } catch {
    return 0;
  }
}

/** Files and directories named after the run's marker anywhere the platform could reach outside its DATA_DIR. */
export function filesOutside(w: World): string[] {
  const roots = ['/', '/tmp', '/root', '/var/tmp', join(import.meta.dir, '..', '..', '..'), process.cwd()];
  const found = new Set<string>();
  const walk = (dir: string, depth: number) => {
    if (depth < 0 || dir.startsWith(w.p.dataDir) || dir.startsWith('/proc') || dir.startsWith('/sys')) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const full = join(dir, n);
      if (n.includes(w.marker)) found.add(full);
      else if (depth > 0 && !n.startsWith('node_modules') && !full.startsWith(w.p.dataDir)) {
        try {
          if (statSync(full).isDirectory()) walk(full, depth - 1);
        } catch {
          // vanished meanwhile
        }
      }
    }
  };
  for (const r of roots) walk(r, r === '/' ? 1 : 2);
  return [...found];
}

/** Remove what {@link filesOutside} found (after it was reported). */
export function removeFiles(paths: string[]): void {
  for (const f of paths) rmSync(f, { recursive: true, force: true });
}
