/**
 * The keepalive benchmark's load generator (a separate process from the server it loads): N raw
 * Vd clients over WSS that log in, ask GetServerInfo, then send Keepalive every interval and time
 * each answer. Driven by its parent over IPC: {cmd:'interval', ms}, {cmd:'measure'}, {cmd:'storm',
 * keep, drop}, {cmd:'stop'}; it answers with JSON messages.
 *
 * A storm's `drop` is how the PUs lose their connections: 'abrupt' (the default) ends each TCP
 * connection without a WebSocket closing handshake, as a camera whose network went away or whose
 * router restarted does: the server sees the socket end. 'close' has every PU say goodbye with a
 * WebSocket close frame over TLS, all within half a second: a mass log-out more than a drop.
 *
 * With `--vs <https base,…>` the PUs behave like real ones when their node goes away (the cluster
 * bench kills one): a socket that closes on its own is a failure of 9.3.1.3, backed off, then Vd
 * is tried again at the same address; when nobody answers there, Vs (the given servers in a random
 * order, the next when one does not answer: one name of several addresses) is asked after the next backoff, as
 * device/pu-client.machine.ts does (`vdUnreachable`). {cmd:'alarms', ms} has every PU send an
 * AlarmNotify every `ms` (0 stops), and {cmd:'acked'} lists the ones the platform acknowledged.
 */
import { benchDeviceId as deviceIdOf, countReason, parseArgs, percentile, topReasons } from './lib.ts';
import { backoffDelayMs } from '../device/backoff.ts';
import { STATUS_IN_ERROR } from '../device/vd-link.ts';
import { askAnyVs } from './load-vs.ts';

const args = parseArgs(process.argv.slice(2));
const URL_BASE = args.url!;
const COUNT = Number(args.count ?? 1000);
/** Index of this generator's first PU (the control group runs in a generator of its own). */
const FIRST = Number(args.first ?? 0);
const PASSWORD = args.password ?? 'bench-password';
/** Logins in flight at once while connecting (a TLS handshake each). */
const CONNECT_CONCURRENCY = Number(args['connect-concurrency'] ?? 200);
/** Longest a keepalive may wait for its answer before it counts as an error. */
const ANSWER_TIMEOUT_MS = 5000;
const tls = { rejectUnauthorized: false };
/** A storm client gives up after this long (the bench's own limit is 180 s). */
const STORM_GIVE_UP_MS = 170_000;
/** Vs servers a PU whose node went away asks (failover behaviour on), or none (off). */
const VS_SERVERS = args.vs ? args.vs.split(',') : [];
/**
 * What a bench PU answers the platform's requests (it asks GetCap and GetDiskInfo at every login, NOTES 9): a cloud
 * camera speaking https (without it every callback URL would be http, which needs DEVICE_HTTP_PORT) and no SD card
 * (DISK_STATE.no_card = 1, I.2.31); anything else `{}`. A real camera answers, so
 * the platform's 20 s RPC timeouts are not part of what the bench measures.
 */
const PLATFORM_REQUEST_ANSWERS: Record<string, string> = { GetCap: '{"https":true,"cloud_record":true}', GetDiskInfo: '{"state":1}' };
/** Alarm type sent by {cmd:'alarms'}: 10, bell_ring, a `single` type reported as a pulse (I.2.16). */
const BENCH_ALARM_TYPE = 10;

interface Client {
  i: number;
  ws?: WebSocket;
  seq: number;
  sentAt: Map<number, number>;
  timer?: ReturnType<typeof setTimeout>;
  /** When this PU's next keepalive is due by its own clock (performance.now() ms). */
  nextAt: number;
  online: boolean;
  control: boolean;
  /** Where this PU logs in (https base): the generator's URL, until Vs names another. */
  base: string;
  /** The error of its last failed connection attempt, if any. */
  lastError: string;
  /** AlarmNotify requests awaiting an answer: seq → the alarm's `desc` and when it was sent (performance.now() ms). */
  alarms: Map<number, { desc: string; at: number }>;
  alarmTimer?: ReturnType<typeof setInterval>;
}

let intervalMs = 10_000;
let samples: number[] = [];
/** When each of `samples` was answered (ms on this process's clock), for a timeline of the window. */
let sampleAt: number[] = [];
let controlSamples: number[] = [];
let errors = 0;
let loginFailures = 0;
/** Why logins failed and why established sockets closed: "<close code> <reason or error>" → count. */
const failureReasons = new Map<string, number>();
const closedAfterOpen = new Map<string, number>();
const clients: Client[] = Array.from({ length: COUNT }, (_, i) => ({
  i: FIRST + i,
  seq: 0,
  sentAt: new Map(),
  nextAt: 0,
  online: false,
  control: false,
  base: URL_BASE,
  lastError: '',
  alarms: new Map(),
}));
/** Set by {cmd:'stop'}: closes from then on are ours, not a failure to recover from. */
let stopping = false;
/** Alarms the platform acknowledged (their `desc`), refused with `err`, and sent in all. */
let alarmsAcked: string[] = [];
/** How long each acknowledged alarm waited for its answer, ms. */
let alarmAnswerMs: number[] = [];
let alarmsRefused = 0;
let alarmsSent = 0;
/** Failover: PUs whose socket closed on its own and that are not back yet; when each came back (epoch ms). */
let recovering = 0;
let recoveredAt: number[] = [];
/** Failover: how many tries (Vd or Vs) each PU back made, counting the one that logged it in. */
let recoveredTries: number[] = [];
/** Failover: how long each Vs request and each Vd login took to answer, ms. */
let vsAnswerMs: number[] = [];
let vdAnswerMs: number[] = [];
/** Vs requests that failed, and why (counted like login failures). */
const vsFailures = new Map<string, number>();

function send(msg: unknown) {
  process.send!(msg);
}

/**
 * Arm a PU's next keepalive. Each PU keeps its own phase, as a camera sending on its own clock does:
 * the next one is due an interval after the one before was *due*, not after this process got round
 * to sending it. Re-timing from the late send instead made every PU delayed by one of this process's
 * own pauses (a garbage collection of its 17,000 clients) send in step with the others from then on,
 * a burst every interval that grew with each pause: a load no fleet of independent devices makes.
 */
function schedule(c: Client, first = false) {
  clearTimeout(c.timer);
  const now = performance.now();
  if (first) c.nextAt = now + Math.random() * intervalMs;
  else {
    c.nextAt += intervalMs;
    if (c.nextAt < now) c.nextAt += Math.ceil((now - c.nextAt) / intervalMs) * intervalMs; // ticks missed in a pause are skipped, the phase kept
  }
  c.timer = setTimeout(() => keepalive(c), c.nextAt - now);
}

function keepalive(c: Client) {
  if (!c.online || !c.ws) return;
  const seq = ++c.seq;
  c.sentAt.set(seq, performance.now());
  c.ws.send(`{"req":"Keepalive","params":{"state":1,"channels":[{"channel":0,"state":1}]},"seq":${seq}}`);
  for (const [s, t] of c.sentAt)
    if (performance.now() - t > ANSWER_TIMEOUT_MS) {
      c.sentAt.delete(s);
      errors++;
    }
  schedule(c);
}

function connect(c: Client, reconnect: boolean): Promise<boolean> {
  const q = new URLSearchParams({
    login_code: deviceIdOf(c.i),
    login_passwd: PASSWORD,
    hardware_model: 'BENCH',
    firmware_model: '1.0',
    reconnect: reconnect ? '1' : '0',
  });
  const ws = new WebSocket(`${c.base.replace(/^https/, 'wss')}/Vd?${q}`, { tls } as never);
  c.ws = ws;
  let error = '';
  return new Promise((resolve) => {
    ws.onerror = (e) => {
      error = (e as ErrorEvent).message ?? 'error';
    };
    ws.onopen = () => {
      c.online = true;
      ws.send(`{"req":"GetServerInfo","params":{"state":1},"seq":${++c.seq}}`);
      schedule(c, true);
      resolve(true);
    };
    ws.onmessage = (m) => {
      const text = String(m.data);
      const seq = Number(/"seq":(\d+)/.exec(text)?.[1]);
      // A request of the platform's (its own seq counter, 9.3.2.1): answered, never taken for an answer of ours.
      const req = /^\{"req":"([A-Za-z]+)"/.exec(text)?.[1];
      if (req !== undefined) return void ws.send(`{"seq":${seq},"resp":${PLATFORM_REQUEST_ANSWERS[req] ?? '{}'}}`);
      const alarm = c.alarms.get(seq);
      if (alarm !== undefined) {
        c.alarms.delete(seq);
        if (text.includes('"err"')) alarmsRefused++;
        else {
          alarmsAcked.push(alarm.desc);
          alarmAnswerMs.push(performance.now() - alarm.at);
        }
        return;
      }
      const t = c.sentAt.get(seq);
      if (t !== undefined) {
        c.sentAt.delete(seq);
        if (text.includes('"err"')) errors++;
        else if (c.control) controlSamples.push(performance.now() - t);
        else {
          const now = performance.now();
          samples.push(now - t);
          sampleAt.push(now);
        }
      }
    };
    ws.onclose = (e) => {
      if (c.ws !== ws) return; // an earlier socket of this client (the storm closed it on purpose)
      const wasOnline = c.online;
      if (!c.online) {
        loginFailures++;
        c.lastError = error;
        countReason(failureReasons, `${e.code} ${e.reason || error}`.trim());
        resolve(false);
      } else {
        countReason(closedAfterOpen, `${e.code} ${e.reason || error}`.trim());
      }
      c.online = false;
      c.alarms.clear(); // unanswered: never acknowledged
      clearTimeout(c.timer);
      if (wasOnline && VS_SERVERS.length > 0 && !stopping) void failover(c);
    };
  });
}

/**
 * A PU whose socket closed on its own, as device/pu-client.machine.ts: back off (9.3.1.3), try Vd at
 * the same address; when nobody answers there (no HTTP status: refused, reset), ask Vs after the next
 * backoff and log in where it says. A Vs failure is a failure too (backoff, Vs again).
 */
async function failover(c: Client) {
  recovering++;
  let unreachable = false;
  for (let failures = 1; !stopping; failures++) {
    await Bun.sleep(backoffDelayMs(failures, Math.random()));
    if (stopping) break;
    if (unreachable) {
      const tVs = performance.now();
      const base = await askAnyVs(VS_SERVERS, c.i).catch((err: Error) => {
        countReason(vsFailures, err.message);
        return undefined;
      });
      vsAnswerMs.push(performance.now() - tVs);
      if (base === undefined) continue;
      c.base = base;
    }
    const tVd = performance.now();
    const ok = await connect(c, true);
    vdAnswerMs.push(performance.now() - tVd);
    if (ok) {
      recoveredAt.push(performance.timeOrigin + performance.now());
      recoveredTries.push(failures);
      break;
    }
    unreachable = !STATUS_IN_ERROR.test(c.lastError);
  }
  recovering--;
}

/** Every PU sends an AlarmNotify every `ms` (each its own phase), or stops when `ms` is 0. */
function alarmsEvery(ms: number) {
  for (const c of clients) {
    clearInterval(c.alarmTimer);
    clearTimeout(c.alarmTimer);
    if (ms <= 0) continue;
    let n = 0;
    const alarm = () => {
      if (!c.online || !c.ws) return;
      const seq = ++c.seq;
      const desc = `${deviceIdOf(c.i)}#${++n}`;
      c.alarms.set(seq, { desc, at: performance.now() });
      alarmsSent++;
      const params = { channel: 0, timestamp: Math.floor(Date.now() / 1000), type: BENCH_ALARM_TYPE, state: 'pulse', desc };
      c.ws.send(JSON.stringify({ req: 'AlarmNotify', params, seq }));
    };
    // The first at a random phase within the period, then every period: the alarms flow from the first period on.
    c.alarmTimer = setTimeout(() => {
      alarm();
      c.alarmTimer = setInterval(alarm, ms);
    }, Math.random() * ms);
  }
}

async function connectAll(which: Client[], reconnect: boolean): Promise<{ ms: number; ok: number }> {
  const t0 = performance.now();
  let next = 0;
  let ok = 0;
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      while (next < which.length) {
        const c = which[next++]!;
        // A refused login (the platform sheds logins while it is overloaded) is tried again like a
        // device does: after the SDK's back-off (9.3.1.3), within the storm's time limit.
        for (let failures = 1; !(await connect(c, reconnect)) && performance.now() - t0 < STORM_GIVE_UP_MS; failures++) {
          await Bun.sleep(backoffDelayMs(failures, Math.random()));
        }
        if (c.online) ok++;
      }
    }),
  );
  return { ms: performance.now() - t0, ok };
}

process.on('message', async (m: { cmd: string; ms?: number; keep?: number; drop?: 'abrupt' | 'close' }) => {
  if (m.cmd === 'connect')
    send({ cmd: 'connected', ...(await connectAll(clients, false)), failures: loginFailures, loginFailureReasons: topReasons(failureReasons) });
  if (m.cmd === 'interval') {
    intervalMs = m.ms!;
    for (const c of clients) schedule(c, true);
    send({ cmd: 'ok' });
  }
  if (m.cmd === 'reset') {
    samples = [];
    sampleAt = [];
    controlSamples = [];
    errors = 0;
    send({ cmd: 'ok' });
  }
  if (m.cmd === 'measure') {
    send({
      cmd: 'measured',
      n: samples.length,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: percentile(samples, 100),
      controlN: controlSamples.length,
      controlP99: percentile(controlSamples, 99),
      errors,
      online: clients.filter((c) => c.online).length,
      loginFailureReasons: topReasons(failureReasons),
      closedReasons: topReasons(closedAfterOpen),
      ...((m as { raw?: boolean }).raw ? { samples, sampleAt: sampleAt.map((t) => t + performance.timeOrigin) } : {}),
    });
  }
  if (m.cmd === 'storm') {
    // Everyone but the control group drops at once, then all of them log in again at once.
    const keep = m.keep ?? 0;
    for (const c of clients) c.control = c.i < keep;
    const storm = clients.filter((c) => !c.control);
    for (const c of storm) {
      c.online = false;
      clearTimeout(c.timer);
      const ws = c.ws;
      c.ws = undefined;
      if (m.drop === 'close') ws?.close();
      else (ws as (WebSocket & { terminate(): void }) | undefined)?.terminate(); // Bun's client: no closing handshake
    }
    await Bun.sleep(200);
    samples = [];
    sampleAt = [];
    controlSamples = [];
    loginFailures = 0;
    failureReasons.clear();
    // Each comes back after its first backoff draw, uniform in [0, 5·1] s (9.3.1.3): "at once".
    const t0 = performance.now();
    const results = await Promise.all(
      storm.map(async (c) => {
        await Bun.sleep(backoffDelayMs(1, Math.random()));
        // Like a real PU it keeps trying with the device SDK's backoff, within the storm's time limit.
        for (let failures = 2; performance.now() - t0 < STORM_GIVE_UP_MS && !(await connect(c, true)); failures++) {
          await Bun.sleep(backoffDelayMs(failures, Math.random()));
        }
        return c.online;
      }),
    );
    const r = { ms: performance.now() - t0, ok: results.filter(Boolean).length };
    send({
      cmd: 'stormed',
      ...r,
      controlP99: percentile(controlSamples, 99),
      controlN: controlSamples.length,
      failures: loginFailures,
      loginFailureReasons: topReasons(failureReasons),
      closedReasons: topReasons(closedAfterOpen),
    });
  }
  if (m.cmd === 'alarms') {
    alarmsEvery(m.ms!);
    send({ cmd: 'ok' });
  }
  if (m.cmd === 'acked') {
    const unanswered = clients.reduce((a, c) => a + c.alarms.size, 0);
    send({ cmd: 'acked', acked: alarmsAcked, answerMs: alarmAnswerMs, refused: alarmsRefused, sent: alarmsSent, unanswered });
    alarmsAcked = [];
    alarmAnswerMs = [];
  }
  if (m.cmd === 'status') {
    send({
      cmd: 'status',
      online: clients.filter((c) => c.online).length,
      recovering,
      recoveredAt,
      recoveredTries,
      vsAnswerMs,
      vdAnswerMs,
      vsFailures: topReasons(vsFailures),
      loginFailureReasons: topReasons(failureReasons),
      closedReasons: topReasons(closedAfterOpen),
    });
    recoveredAt = [];
    recoveredTries = [];
    vsAnswerMs = [];
    vdAnswerMs = [];
  }
  if (m.cmd === 'stop') {
    stopping = true;
    for (const c of clients) c.ws?.close();
    setTimeout(() => process.exit(0), 200);
  }
});
send({ cmd: 'ready' });
