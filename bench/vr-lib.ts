/**
 * What `bench vr` (vr.bench.ts, local disk) and `bench vr --storage s3` (vr-s3.ts) share: a platform
 * process, PUs logged in over Vd with a record session each, and the closed- or open-loop Vr cycle.
 */
import { join } from 'node:path';
import { cpuBetween, cpuProfileArgs, percentile, postgresCpuSeconds, procThreadCpu, selfCpuSeconds, storeCpuSeconds } from './lib.ts';

/** Warm-up before each measured window. */
export const WARMUP_MS = 3000;
export const ADMIN_TOKEN = 'bench-admin-token-vr-0123456789';
const PASSWORD = 'bench-password';
const ROOT = join(import.meta.dir, '..');
export const TLS = { tls: { rejectUnauthorized: false } } as const;
/** What an accepted upload answers: the platform's upload route 201; an S3 store's presigned PUT 200. */
export const UPLOADED_LOCAL = 201;
export const UPLOADED_S3 = 200;
/** PUs provisioned and logged in at a time. */
const LOGIN_BATCH = 16;

export async function spawnPlatform(env: Record<string, string>, profile?: string) {
  const proc = Bun.spawn(['bun', ...cpuProfileArgs(profile), join(ROOT, 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value);
    const m = /ready (https:\/\/\S+)/.exec(buf);
    if (m) {
      const logs = { lines: 0, sample: '' };
      (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          const text = decoder.decode(r.value);
          logs.lines += text.split('\n').length - 1;
          if (logs.sample.length < 2000) logs.sample += text;
        }
      })();
      return { proc, url: m[1]!, logs };
    }
  }
  throw new Error(`platform exited before ready: ${buf}`);
}

/** A PU logged in over Vd that answers every platform request with `{}` and keeps alive; resolves StartRecord's cbk_url. */
export function loginPu(url: string, id: string, mac: string): Promise<{ ws: WebSocket; cbk: Promise<string> }> {
  const q = new URLSearchParams({ login_code: id, login_passwd: PASSWORD, hardware_model: 'BENCH', firmware_model: '1', sdk: 'bench' });
  const ws = new WebSocket(`${url.replace(/^https/, 'wss')}/Vd?${q}`, TLS as never);
  let seq = 0;
  let gotCbk!: (u: string) => void;
  const cbk = new Promise<string>((r) => {
    gotCbk = r;
  });
  ws.onmessage = (m) => {
    const f = JSON.parse(String(m.data));
    if (typeof f.req === 'string') {
      if (f.req === 'StartRecord') gotCbk(f.params.cbk_url);
      ws.send(JSON.stringify({ seq: f.seq, resp: {} }));
    }
  };
  const keepalive = () => ws.send(JSON.stringify({ req: 'Keepalive', params: { mac_id: mac, state: 1, channels: [{ channel: 0, state: 1 }] }, seq: ++seq }));
  return new Promise((resolve, reject) => {
    ws.onopen = () => {
      keepalive();
      const t = setInterval(() => (ws.readyState === WebSocket.OPEN ? keepalive() : clearInterval(t)), 10_000);
      resolve({ ws, cbk });
    };
    ws.onerror = () => reject(new Error(`Vd login of ${id} failed`));
  });
}

export const api = (url: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...TLS,
  } as RequestInit);

/** Samples of one op, ms. */
export class Lat {
  samples: number[] = [];
  add(ms: number) {
    this.samples.push(ms);
  }
  p(n: number) {
    return percentile(this.samples, n);
  }
}

/** HTTP status of a request over its channel's Vr budget (it says when to retry). */
const TOO_MANY = 429;

/**
 * Every PU runs cycles back to back for `seconds` after a warm-up: create(+previous) and, when
 * `size` > 0, the PUT. Counts what completes inside the window. With `rate` (cycles/s over all
 * PUs) each PU starts its cycles on a fixed schedule instead (open loop: latency at that load).
 * With `concurrency` below the PU count, that many workers take the PUs in turn (a cycle of one,
 * then of the next): many cameras, each well within its channel's Vr budget, at a fixed
 * concurrency. A 429 is honoured as a camera does: its PU waits the Retry-After.
 * `window.platformPid`: that process's CPU over the measured window only, split by thread (lib.ts, cpuBetween);
 * `window.warmupMs`: the warm-up before it (WARMUP_MS by default); `window.sample`: read at the window's start and end
 * (returned as `samples`).
 */
export async function run<S = never>(
  cbks: Array<{ cbk: string; mac: string }>,
  size: number,
  seconds: number,
  startBase: number,
  rate = 0,
  uploaded = UPLOADED_LOCAL,
  concurrency = cbks.length,
  window: { platformPid?: number; warmupMs?: number; sample?: () => Promise<S> } = {},
) {
  const body = new Uint8Array(size).fill(0x47);
  const create = new Lat();
  const putLat = new Lat();
  let cycles = 0;
  let bytes = 0;
  let errors = 0;
  let firstError = '';
  let refused = 0;
  let measuring = false;
  let running = true;
  /** Each PU's previous segment (confirmed by its next create) and cycle count; a PU refused with 429 waits until `resumeAt`. */
  const state = cbks.map(() => ({ prev: undefined as string | undefined, n: 0, resumeAt: 0 }));
  const workers = Math.max(1, Math.min(concurrency, cbks.length));
  const worker = async (w: number) => {
    const mine = cbks.map((_, k) => k).filter((k) => k % workers === w);
    const period = rate > 0 ? (workers / rate) * 1000 : 0;
    const first = performance.now() + (period * w) / workers;
    for (let i = 0; running; i++) {
      if (period > 0) {
        const wait = first + i * period - performance.now();
        if (wait > 0) await Bun.sleep(wait);
      }
      const k = mine[i % mine.length]!;
      const { cbk, mac } = cbks[k]!;
      const st = state[k]!;
      const n = st.n++;
      const prev = st.prev;
      if (st.resumeAt > performance.now()) await Bun.sleep(st.resumeAt - performance.now());
      const t0 = performance.now();
      const form = `op=create&content_type=video%2Fmp2t&size=${size}&start=${startBase + k * 1e5 + n}&duration=1&discontinue=0&https=1${prev ? `&name=${prev}` : ''}`;
      const r = await fetch(cbk, {
        method: 'POST',
        body: form,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Mac-Identity': mac },
        ...TLS,
      } as RequestInit);
      const j = (await r.json()) as { name?: string; url?: string; info?: string };
      const t1 = performance.now();
      if (r.status === TOO_MANY) {
        refused++;
        st.resumeAt = performance.now() + Number(r.headers.get('retry-after') ?? 1) * 1000;
        continue; // the previous segment stays to be confirmed by the next create
      }
      if (r.status !== 200) {
        errors++;
        firstError ||= `create ${r.status} ${j.info}`;
        st.prev = undefined;
        continue;
      }
      if (measuring) create.add(t1 - t0);
      if (size > 0) {
        const u = await fetch(j.url!, { method: 'PUT', body, headers: { 'Content-Type': 'video/mp2t' }, ...TLS } as RequestInit);
        await u.arrayBuffer();
        if (u.status !== uploaded) {
          errors++;
          firstError ||= `put ${u.status}`;
          st.prev = undefined;
          continue;
        }
        if (measuring) putLat.add(performance.now() - t1);
      }
      st.prev = j.name;
      if (measuring) {
        cycles++;
        bytes += size;
      }
    }
  };
  const all = Array.from({ length: workers }, (_, w) => worker(w));
  await Bun.sleep(window.warmupMs ?? WARMUP_MS);
  const samples: S[] = [];
  if (window.sample) samples.push(await window.sample());
  measuring = true;
  const t0 = performance.now();
  const pid = window.platformPid;
  const cpu0 = { self: selfCpuSeconds(), pg: postgresCpuSeconds(), store: storeCpuSeconds(), platform: pid ? procThreadCpu(pid) : undefined };
  await Bun.sleep(seconds * 1000);
  measuring = false;
  const s = (performance.now() - t0) / 1000;
  const p1 = pid ? procThreadCpu(pid) : undefined;
  const platform = pid && p1 && cpu0.platform ? cpuBetween(cpu0.platform, p1, pid) : undefined;
  const cpu = { self: selfCpuSeconds() - cpu0.self, pg: postgresCpuSeconds() - cpu0.pg, store: storeCpuSeconds() - cpu0.store, platform };
  // After the CPU readings: the sample's own query is not the window's.
  if (window.sample) samples.push(await window.sample());
  running = false;
  await Promise.all(all);
  return { perS: cycles / s, mbPerS: bytes / s / 1e6, create, put: putLat, errors, refused, firstError, cycles, s, cpu, samples };
}

/** A platform for a bench run: its data directory and database, random ports, warnings only, the bench's admin token; `env` adds or overrides. */
export function benchPlatform(dataDir: string, databaseUrl: string, fsync: boolean, env: Record<string, string> = {}, profile?: string) {
  return spawnPlatform(
    {
      DATA_DIR: dataDir,
      HTTP_PORT: '0',
      SRT_PORT: '0',
      HIBERNATION_PORT: '0',
      LOG_LEVEL: 'warn',
      ADMIN_TOKEN,
      CS_FSYNC: fsync ? '1' : '0',
      DATABASE_URL: databaseUrl,
      ...env,
    },
    profile,
  );
}

/** Provision `count` PUs, log each in over Vd and start a record session of `size`-byte segments on it; their Vr URLs. */
export async function recordingPus(url: string, count: number, size: number): Promise<Array<{ cbk: string; mac: string; ws: WebSocket }>> {
  const pus: Array<{ cbk: string; mac: string; ws: WebSocket }> = [];
  for (let i = 0; i < count; i += LOGIN_BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(LOGIN_BATCH, count - i) }, async (_, j) => {
        const n = i + j;
        const id = `BENCH-VR-${String(n).padStart(4, '0')}`;
        const mac = (0xa0b1c3000000 + n).toString(16).padStart(12, '0');
        const r = await api(url, '/api/admin/devices', { device_id: id, password: PASSWORD, mac_id: mac });
        if (r.status !== 201) throw new Error(`provisioning ${id}: ${r.status} ${await r.text()}`);
        const { ws, cbk } = await loginPu(url, id, mac);
        await Bun.sleep(200); // the pu actor takes the login
        const s = await api(url, `/api/devices/${id}/channels/0/recording`, { seg_duration: 1, seg_max_size: Math.max(size, 1024) });
        if (s.status !== 201) throw new Error(`starting ${id}: ${s.status} ${await s.text()}`);
        pus.push({ cbk: await cbk, mac, ws });
      }),
    );
  }
  return pus;
}
