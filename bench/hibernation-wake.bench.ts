/**
 * `bun run bench hibernation-wake`: wake to first frame (issue #22's benchmark). Battery cameras of the simulator
 * (`--battery`: real SRT from FFmpeg, device/live.ts) sleep when idle; a viewer asks for live, the platform sends
 * TOWAKEUP, the camera boots and logs in, pushes, and the viewer's WebSocket gets its first MPEG-TS packet. Reported:
 * p50 and p99 from the live request to that packet over N wakes (goal: p99 at most 3 s), and of it the camera's own boot
 * (the simulator's time from TOWAKEUP to its Vd login). One wake at a time, the cameras taking turns: while one wakes
 * and streams, the others sleep (a woken camera stays up for the KeepAwaken it was sent, a minute, before it sleeps
 * again: 40 cameras take 200 wakes in about five minutes).
 *
 * Options: --wakes 200 --cameras 40 --db postgres|pglite
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpegLive, SimulatedDevice } from '../device/index.ts';
import { benchDeviceId, benchMac, machineNote, parseArgs, percentile, table } from './lib.ts';
import { platformEnv, provisionPus, ROOT, spawnReady } from './platform.ts';

const args = parseArgs(process.argv.slice(2));
const WAKES = Number(args.wakes ?? 200);
const CAMERAS = Number(args.cameras ?? 40);
const KIND = (args.db ?? 'pglite') as 'postgres' | 'pglite';
/** A camera sleeps after this much idle time (its `--sleep-after`; the bench's choice: short, to take turns fast). */
const IDLE_MS = 1000;
/** Its heartbeat while asleep (60 s on a real camera; the first one, on connecting, is what puts its pu to sleep). */
const HB_MS = 60_000;
/** Longest one wake may take before the bench gives up on it. */
const WAKE_LIMIT_MS = 20_000;
/** Longest a camera may take to fall asleep again. */
const SLEEP_LIMIT_MS = 90_000;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const PASSWORD = 'bench-password';
const tls = { rejectUnauthorized: false };

console.log(`bench hibernation-wake: ${WAKES} wakes of ${CAMERAS} simulated battery cameras on ${KIND}`);
console.log(machineNote());
const dataDir = mkdtempSync(join(tmpdir(), 'h627-bench-wake-'));
const b = await provisionPus(KIND, 'wake', CAMERAS, PASSWORD, dataDir);
const env = platformEnv(b, dataDir, { ADMIN_TOKEN, LIVE_LINGER_S: '1' });
const platform = await spawnReady(['bun', join(ROOT, 'main.ts')], env, /ready (https:\/\/\S+)/);
const url = platform.match[1]!;
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, tls } as RequestInit);
const stateOf = async (i: number) => ((await (await api(`/api/actors/pu:${benchDeviceId(i)}`)).json()) as { stateKey: string }).stateKey;

const cams = Array.from(
  { length: CAMERAS },
  (_, i) =>
    new SimulatedDevice({
      server: url,
      id: benchDeviceId(i),
      password: PASSWORD,
      mac: benchMac(i),
      tls,
      capabilities: { battery: true },
      media: { ...ffmpegLive() },
      sleep: { idleMs: IDLE_MS, hbIntervalMs: HB_MS },
    }),
);
await Promise.all(cams.map((c) => c.start()));

/** Resolve when `read` holds, polling. */
async function until(read: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await read())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs} ms`);
    await Bun.sleep(50);
  }
}

/** The first binary message of a WebSocket, as ms since the epoch; the socket is closed then. */
function firstPacketAt(wsUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { tls } as never);
    ws.binaryType = 'arraybuffer';
    const timer = setTimeout(() => reject(new Error('no packet')), WAKE_LIMIT_MS);
    ws.onmessage = (m) => {
      if (!(m.data instanceof ArrayBuffer) || new Uint8Array(m.data)[0] !== 0x47) return; // an MPEG-TS sync byte
      clearTimeout(timer);
      resolve(Date.now());
      ws.close();
    };
    ws.onerror = () => reject(new Error('WebSocket failed'));
  });
}

const total: number[] = [];
const boot: number[] = [];
const failed: string[] = [];
for (let n = 0; n < WAKES; n++) {
  const i = n % CAMERAS;
  const cam = cams[i]!;
  try {
    await until(async () => cam.sleeper?.asleep === true && (await stateOf(i)) === 'hibernating', SLEEP_LIMIT_MS, `${cam.id} asleep`);
    const asked = Date.now();
    const r = await api(`/api/devices/${cam.id}/channels/0/live`, { method: 'POST', body: '{}' });
    if (r.status !== 201) throw new Error(`live answered ${r.status}: ${await r.text()}`);
    const loggedIn = cam.waitFor('online', WAKE_LIMIT_MS).then(() => Date.now());
    const first = await firstPacketAt(((await r.json()) as { ws_url: string }).ws_url);
    total.push(first - asked);
    boot.push((await loggedIn) - (cam.sleeper?.wokeAt ?? asked));
  } catch (err) {
    failed.push(`wake ${n} of ${cam.id}: ${String(err)}`);
  }
  if ((n + 1) % 20 === 0) console.log(`${n + 1} wakes, p50 so far ${percentile(total, 50).toFixed(0)} ms`);
}

const ms = (v: number) => v.toFixed(0);
console.log(
  table([
    { measure: 'live request → first TS packet (ms)', p50: ms(percentile(total, 50)), p99: ms(percentile(total, 99)), max: ms(Math.max(...total)) },
    { measure: "of it: the camera's boot, TOWAKEUP → Vd login (ms)", p50: ms(percentile(boot, 50)), p99: ms(percentile(boot, 99)), max: ms(Math.max(...boot)) },
  ]),
);
console.log(`wakes measured: ${total.length} of ${WAKES}${failed.length ? `; failed: ${failed.slice(0, 5).join('; ')}` : ''}`);
await Promise.all(cams.map((c) => c.stop()));
platform.proc.kill('SIGTERM');
await platform.proc.exited;
await b.drop();
rmSync(dataDir, { recursive: true, force: true });
