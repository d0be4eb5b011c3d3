/**
 * The live benchmark's load generator (a separate process from the relay it loads). Its main thread
 * holds the bare Vd devices (log in, keep alive, answer PushLive by publishing and StopLive by
 * stopping) and the WSS viewers; one Worker (`live-srt.worker.ts`) holds every SRT socket. Driven
 * by its parent over IPC, one JSON message per command:
 * `{cmd:'login', url, count}`, `{cmd:'view', viewers}`, `{cmd:'direct', streams}`, `{cmd:'reset'}`,
 * `{cmd:'measure'}`, `{cmd:'close-ws'}`, `{cmd:'close-all'}`, `{cmd:'exit'}`; each is answered once.
 *
 *   bun bench/live-load.ts --sample <file.ts> --rate-kbps 2000 --streams 50 --seconds 60
 */
import { benchDeviceId as deviceIdOf, parseArgs } from './lib.ts';
import { VD_ERR } from '../protocol/constants.ts';
import { probeEventLoop } from '../lib/loop-delay.ts';
import { TS_PACKET_BYTES, TS_SYNC_BYTE } from '../media/mdu/ts.ts';
import {
  clockMs,
  DEFAULT_LATENCY_MS,
  JOIN_SETTLE_MS,
  loadSample,
  LossWindow,
  MSG_BYTES,
  parseSrtUrl,
  PROBE_EVERY_MESSAGES,
  ProbeReader,
  SampleSet,
  SecondMax,
  type SrtTarget,
} from './live-ts.ts';
import type { ViewSpec, WsMeasure } from './live-messages.ts';
import { CONNECT_TIMEOUT_MS, pubConnected, pubLatency, srtConnect, toWorker, workerAck, workerMeasure } from './live-srt-client.ts';

const args = parseArgs(process.argv.slice(2));
const RATE_BPS = Number(args['rate-kbps'] ?? 2000) * 1000;
const STREAMS = Number(args.streams ?? 50);
const SECONDS = Number(args.seconds ?? 60);
const LATENCY_MS = Number(args['latency-ms'] ?? DEFAULT_LATENCY_MS);
const PASSWORD = args.password ?? 'bench-password';
/** Viewers of consecutive streams join this far apart (a realistic trickle, not one burst of handshakes and keyframe-cache replays). */
const STAGGER_MS = Number(args['stagger-ms'] ?? 50);
/** Vd logins in flight at once (a TLS handshake each). */
const LOGIN_CONCURRENCY = 20;
/** Keepalive period; the platform's default heartbeat is 10 s and a PU is offline after three silent ones. */
const KEEPALIVE_MS = 5_000;
/** Room for delay samples of one kind: every probe of every viewer over a window, with margin. */
const MAX_SAMPLES = Math.ceil(((STREAMS * RATE_BPS) / (MSG_BYTES * 8) / PROBE_EVERY_MESSAGES) * (SECONDS + 30) * 1.5);
/** Seconds tracked for the worst-second report (a window plus slack). */
const MAX_SECONDS = SECONDS + 30;
const tls = { rejectUnauthorized: false };

const send = (m: Record<string, unknown>) => process.send!(m);

// ── Bare Vd devices ──
type Frame = { req?: string; seq?: number; params?: Record<string, unknown> };

class VdDevice {
  ws: WebSocket | null = null;
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The stream this device publishes, once PushLive asked for one. */
  pushing: string | null = null;
  pushes = 0;
  pushErrors: string[] = [];

  constructor(readonly index: number) {}

  connect(url: string): Promise<boolean> {
    const q = new URLSearchParams({
      login_code: deviceIdOf(this.index),
      login_passwd: PASSWORD,
      hardware_model: 'BENCH',
      firmware_model: '1.0',
      reconnect: '0',
    });
    const ws = new WebSocket(`${url.replace(/^https/, 'wss')}/Vd?${q}`, { tls } as never);
    this.ws = ws;
    return new Promise((resolve) => {
      ws.onopen = () => {
        this.request('GetServerInfo', { state: 1 });
        this.keepalive();
        setTimeout(() => (this.timer = setInterval(() => this.keepalive(), KEEPALIVE_MS)), Math.random() * KEEPALIVE_MS);
        resolve(true);
      };
      ws.onmessage = (m) => this.onFrame(String(m.data));
      ws.onclose = () => {
        clearInterval(this.timer);
        resolve(false);
      };
    });
  }

  private request(req: string, params: unknown): void {
    this.ws?.send(JSON.stringify({ req, params, seq: ++this.seq }));
  }

  private keepalive(): void {
    this.request('Keepalive', { state: 1, channels: [{ channel: 0, state: 1, ...(this.pushing ? { stream_id: this.pushing } : {}) }] });
  }

  private answer(seq: number, body: { resp: unknown } | { err: { code: number; msg: string } }): void {
    this.ws?.send(JSON.stringify({ seq, ...body }));
  }

  private async onFrame(text: string): Promise<void> {
    let f: Frame;
    try {
      f = JSON.parse(text) as Frame;
    } catch {
      return;
    }
    if (!f.req || f.seq === undefined) return; // answers to our requests, events
    if (f.req === 'PushLive') {
      const p = f.params as { url: string; stream_id: string };
      this.pushes++;
      let target: SrtTarget;
      try {
        target = parseSrtUrl(p.url);
      } catch (e) {
        return this.answer(f.seq, { err: { code: VD_ERR.PARAMETER, msg: String(e) } });
      }
      const r = await srtConnect('pub', this.index, this.index, target);
      if (!r.ok) {
        this.pushErrors.push(r.error ?? 'failed');
        return this.answer(f.seq, { err: { code: VD_ERR.SERVER_ERROR, msg: `could not publish: ${r.error}` } });
      }
      this.pushing = p.stream_id;
      return this.answer(f.seq, { resp: {} });
    }
    if (f.req === 'StopLive') {
      toWorker({ type: 'unpublish', id: this.index });
      pubConnected.delete(this.index);
      this.pushing = null;
      return this.answer(f.seq, { resp: {} });
    }
    this.answer(f.seq, { err: { code: VD_ERR.UNSUPPORTED_METHOD, msg: `${f.req} is not supported by the benchmark device` } });
  }

  close(): void {
    clearInterval(this.timer);
    this.ws?.close();
  }
}

const devices: VdDevice[] = [];

async function login(url: string, count: number): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: LOGIN_CONCURRENCY }, async () => {
      while (next < count) {
        const d = new VdDevice(next++);
        devices[d.index] = d;
        if (await d.connect(url)) ok++;
      }
    }),
  );
  return { ok, failed: count - ok, ms: performance.now() - t0 };
}

// ── WSS viewers ──
interface WsViewer {
  stream: number;
  ws: WebSocket;
  live: boolean;
  joinedAt: number;
  rx: number;
  winBytes: number;
  loss: LossWindow;
  delaySum: number;
  delayN: number;
}

const wsViewers: WsViewer[] = [];
const wsDelays = new SampleSet(MAX_SAMPLES);
const wsPerSecond = new SecondMax(MAX_SECONDS);
const wsProbe = new ProbeReader();
let windowStart = Infinity;
let misaligned = 0;
let crossTalk = 0;
let closedByPlatform = 0;
const closeReasons: string[] = [];

function onWsData(v: WsViewer, data: ArrayBuffer): void {
  const now = clockMs();
  const buf = new Uint8Array(data);
  const n = buf.byteLength;
  if (now >= windowStart) v.winBytes += n;
  if (n % TS_PACKET_BYTES !== 0 || buf[0] !== TS_SYNC_BYTE) misaligned++;
  for (let p = 0; p + TS_PACKET_BYTES <= n; p += TS_PACKET_BYTES) {
    v.rx++;
    if (!ProbeReader.isProbe(buf, p) || !wsProbe.read(buf, p)) continue;
    if (wsProbe.stream !== v.stream) {
      crossTalk++;
      continue;
    }
    if (wsProbe.sentAt < windowStart || now - v.joinedAt < JOIN_SETTLE_MS) continue;
    const d = now - wsProbe.sentAt - (pubLatency.get(v.stream) ?? LATENCY_MS);
    wsDelays.push(d, now - windowStart);
    wsPerSecond.push(now - windowStart, d);
    v.delaySum += d;
    v.delayN++;
    v.loss.probe(wsProbe.tsIndex, v.rx);
  }
}

function openWs(stream: number, url: string): Promise<string | null> {
  const ws = new WebSocket(url, { tls } as never);
  ws.binaryType = 'arraybuffer';
  const v: WsViewer = { stream, ws, live: false, joinedAt: 0, rx: 0, winBytes: 0, loss: new LossWindow(), delaySum: 0, delayN: 0 };
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timed out'), CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(timer);
      v.live = true;
      v.joinedAt = clockMs();
      wsViewers.push(v);
      resolve(null);
    };
    ws.onmessage = (m) => onWsData(v, m.data as ArrayBuffer);
    ws.onclose = (e) => {
      clearTimeout(timer);
      if (v.live) {
        closedByPlatform++;
        if (closeReasons.length < 5) closeReasons.push(`${e.code} ${e.reason}`);
      }
      v.live = false;
      resolve(`closed: ${e.code} ${e.reason}`);
    };
  });
}

function measureWs(stalled: ReadonlySet<number>): WsMeasure {
  let expected = 0;
  let received = 0;
  let receivedBytes = 0;
  for (const v of wsViewers) {
    expected += v.loss.expected();
    received += v.loss.received();
    receivedBytes += v.winBytes;
  }
  const means = wsViewers.filter((v) => v.delayN > 0).map((v) => v.delaySum / v.delayN);
  return {
    viewers: wsViewers.filter((v) => v.live).length,
    expected,
    received,
    receivedBytes,
    delay: wsDelays.summary(),
    delayCalm: wsDelays.summary(stalled),
    viewerMeanMs: [Math.min(...means), Math.max(...means)],
    worstSeconds: wsPerSecond.worst(3),
    misaligned,
    crossTalk,
    closed: closedByPlatform,
    closeReasons,
  };
}

function closeWs(): void {
  for (const v of wsViewers) {
    v.live = false; // a close we asked for
    v.ws.close();
  }
  wsViewers.length = 0;
}

/** Connect in parallel, count failures, keep the first few errors. */
async function settle(jobs: Promise<string | null>[]): Promise<{ ok: number; failed: number; errors: string[] }> {
  const out = await Promise.all(jobs);
  const errors = out.filter((x): x is string => x !== null);
  return { ok: out.length - errors.length, failed: errors.length, errors: errors.slice(0, 5) };
}
const srtJob = (p: ReturnType<typeof srtConnect>) => p.then((r) => (r.ok ? null : (r.error ?? 'failed')));

/**
 * How late this process's main thread (which receives the WSS viewers' frames and stamps them) ran
 * the platform's own event-loop probe, at most, in the window: a WSS sample is late by that much
 * when the generator, not the relay, was busy.
 */
let genLoopMaxMs = 0;
probeEventLoop((s) => {
  genLoopMaxMs = Math.max(genLoopMaxMs, s * 1000);
});

const commands: Record<string, (m: Record<string, unknown>) => Promise<Record<string, unknown>>> = {
  login: async (m) => login(String(m.url), Number(m.count)),
  status: async () => ({
    publishing: pubConnected.size,
    pushes: devices.reduce((a, d) => a + (d?.pushes ?? 0), 0),
    pushErrors: devices.flatMap((d) => d?.pushErrors ?? []).slice(0, 5),
  }),
  view: async (m) => {
    const specs = m.viewers as ViewSpec[];
    const srtJobs: Promise<string | null>[] = [];
    const wsJobs: Promise<string | null>[] = [];
    for (const s of specs) {
      if (s.srtUrl) srtJobs.push(srtJob(srtConnect('view', s.stream, s.stream, parseSrtUrl(s.srtUrl))));
      if (s.wsUrl) wsJobs.push(openWs(s.stream, s.wsUrl));
      await Bun.sleep(STAGGER_MS);
    }
    return { srt: await settle(srtJobs), ws: await settle(wsJobs) };
  },
  direct: async (m) => {
    const streams = m.streams as { pub: SrtTarget; view: SrtTarget }[];
    const pubJobs: Promise<string | null>[] = [];
    for (const [i, s] of streams.entries()) {
      pubJobs.push(srtJob(srtConnect('pub', i, i, s.pub)));
      await Bun.sleep(STAGGER_MS); // apart, as the platform's streams start
    }
    const pubs = await settle(pubJobs);
    const viewJobs: Promise<string | null>[] = [];
    for (const [i, s] of streams.entries()) {
      viewJobs.push(srtJob(srtConnect('view', i, i, s.view)));
      await Bun.sleep(STAGGER_MS);
    }
    return { pubs, views: await settle(viewJobs) };
  },
  reset: async () => {
    const at = clockMs();
    windowStart = at;
    wsDelays.clear();
    wsPerSecond.clear();
    misaligned = crossTalk = 0;
    genLoopMaxMs = 0;
    for (const v of wsViewers) {
      v.winBytes = 0;
      v.delaySum = v.delayN = 0;
      v.loss.reset();
    }
    await workerAck({ type: 'reset', at });
    return { at };
  },
  measure: async () => {
    const srt = await workerMeasure();
    return { srt, ws: measureWs(new Set(srt.stalled)), windowMs: clockMs() - windowStart, genLoopMaxMs: Math.round(genLoopMaxMs) };
  },
  'close-ws': async () => {
    closeWs();
    return {};
  },
  'close-all': async () => {
    closeWs();
    for (const d of devices) d?.close();
    devices.length = 0;
    pubConnected.clear();
    closedByPlatform = 0;
    closeReasons.length = 0;
    await workerAck({ type: 'close-all' });
    return {};
  },
  exit: async () => {
    setTimeout(() => process.exit(0), 100);
    return {};
  },
};

process.on('message', async (m: Record<string, unknown>) => {
  const fn = commands[String(m.cmd)];
  if (!fn) return send({ cmd: m.cmd, error: 'unknown command' });
  try {
    send({ cmd: m.cmd, ...(await fn(m)) });
  } catch (e) {
    send({ cmd: m.cmd, error: String(e) });
  }
});

await workerAck({
  type: 'init',
  sample: loadSample(String(args.sample)),
  rateBps: RATE_BPS,
  latencyMs: LATENCY_MS,
  maxSamples: MAX_SAMPLES,
  maxSeconds: MAX_SECONDS,
});
send({ cmd: 'ready' });
