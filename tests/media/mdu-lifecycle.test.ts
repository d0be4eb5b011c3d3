import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import type { Mdu, MduEvents } from '../../media/mdu/index.ts';
import { Mdu as MduClass } from '../../media/mdu/index.ts';
import { SrtError } from '../../media/srt/index.ts';
import { MDU_THREAD_NICE, STATS_INTERVAL_MS } from '../../media/mdu/constants.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { TS_PACKET_BYTES, tsPid } from '../../media/mdu/ts.ts';
import { rejectionOf } from '../helpers/wait.ts';
import { MDU_HOOK_TIMEOUT_MS, PASS, TsChecker, caller, closeCallers, closedWithin, pace, record, sid, startMdu, testClip, token, waitFor } from './helpers.ts';

/** Silence timeout for these tests: short so the case runs in seconds. */
const SILENCE_MS = 1000;
/** Subscriber backlog bound for these tests: a quarter second at 2 Mbit/s. */
const SUBSCRIBER_QUEUE_BYTES = 64 * 1024;
/** Real-time cases publish for a few seconds; the bound is above the sum of a case's waits, which only a failure uses up. */
const CASE_TIMEOUT_MS = 60_000;
const RATE_BPS = 2_000_000;
/** Bound for what a loaded machine does in moments (a relay turn, a caller's worker reporting): generous, it only delays a failure. */
const LOADED_BOUND_MS = 10_000;
/** How long the idle relay thread's wakes are counted. */
const IDLE_CHECK_MS = 3000;
/** The dormant listener's wait in these tests: short, so the case runs in seconds. */
const DORMANT_MS = 1000;
/** libsrt collects a closed listener and ends its port's threads about 5 s later; the bound only delays a failure. */
const LIBSRT_COLLECT_BOUND_MS = 20_000;
/** Wakes of an idle relay allowed per stats interval: its stats and its runtime's own timers (2-5 a second measured; the accept loop alone would be 40). */
const IDLE_WAKES_PER_STATS_MAX = 10;

/** This process's threads: id, name and nice value (/proc/<pid>/task/<tid>/stat field 19); one that ends while read is left out. */
function threads() {
  return readdirSync(`/proc/${process.pid}/task`).flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ tid, name: readFileSync(`/proc/${process.pid}/task/${tid}/comm`, 'utf8').trim(), nice: Number(fields[16]) }];
    } catch {
      return [];
    }
  });
}

let mdu: Mdu;
let rec: ReturnType<typeof record>;
beforeAll(async () => {
  ({ mdu } = await startMdu({ silenceTimeoutMs: SILENCE_MS, subscriberQueueBytes: SUBSCRIBER_QUEUE_BYTES }));
  rec = record(mdu);
}, MDU_HOOK_TIMEOUT_MS);
afterEach(closeCallers, MDU_HOOK_TIMEOUT_MS);
afterAll(async () => {
  rec.stop();
  await mdu.stop();
}, MDU_HOOK_TIMEOUT_MS);

type Named<K extends keyof MduEvents> = MduEvents[K] & { streamId: string };
function events<K extends keyof MduEvents>(name: K, streamId: string): Named<K>[] {
  return rec.events.filter((x) => x.name === name && (x.e as { streamId?: string }).streamId === streamId).map((x) => x.e as Named<K>);
}

async function publisher(s: string) {
  const t = token();
  await mdu.allowPublisher({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16 });
  return caller(mdu.port, sid(s, 'publish', t), { passphrase: PASS, pbkeylen: 16 });
}

/** A publisher granted on `m` connects, sends a moment of the clip, and its stream is relayed. */
async function publishes(m: Mdu, s: string, t: string) {
  const pub = await caller(m.port, sid(s, 'publish', t), { passphrase: PASS, pbkeylen: 16 });
  await pace(pub, (await testClip()).subarray(0, 50 * 1316), RATE_BPS);
  await waitFor(async () => (await m.inspect()).streams.includes(s), LOADED_BOUND_MS, 'the stream relayed');
}

async function srtViewer(s: string) {
  const t = token();
  await mdu.allowViewer({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16, expiresAt: Date.now() + 60_000 });
  return { t, c: await caller(mdu.port, sid(s, 'request', t), { passphrase: PASS, pbkeylen: 16 }) };
}

describe('stream lifecycle', () => {
  it(
    'ends a publish that goes silent with reason "silent" and disconnects it',
    async () => {
      const s = `silent-${token().slice(0, 6)}`;
      const pub = await publisher(s);
      const clip = await testClip();
      await pace(pub, clip.subarray(0, 200 * 1316), RATE_BPS);
      await waitFor(() => events('publish.end', s).length > 0, LOADED_BOUND_MS, 'publish.end');
      expect(events('publish.end', s)[0]).toMatchObject({ reason: 'silent' });
      expect(await closedWithin(pub)).toBe('disconnected');
      expect((await mdu.inspect()).sockets).toBe(0);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'drops a subscriber that stops taking data without disturbing another or the SRT viewer',
    async () => {
      const s = `slow-${token().slice(0, 6)}`;
      const pub = await publisher(s);
      const { c: viewer } = await srtViewer(s);
      const srtSide = new TsChecker();
      viewer.onData = (chunk) => srtSide.push(chunk);
      const healthy = new TsChecker();
      let ended = '';
      mdu.subscribe(s, (chunk) => (healthy.push(chunk), true));
      mdu.subscribe(
        s,
        () => false,
        (why) => (ended = why),
      );
      const clip = await testClip();
      let healthyAtDrop = 0;
      await pace(pub, clip.subarray(0, Math.floor(clip.byteLength / 1316) * 1316), RATE_BPS, () => {
        if (ended && !healthyAtDrop) healthyAtDrop = healthy.packets;
        return false;
      });
      // The SRT viewer's last packets come through libsrt's latency window and its caller's worker.
      await waitFor(() => ended !== '' && srtSide.packets > healthy.packets * 0.9, LOADED_BOUND_MS, 'the SRT viewer to catch up').catch(() => {});
      expect(ended).toBe('slow');
      expect(events('viewer.leave', s).find((e) => e.kind === 'subscriber')).toMatchObject({ reason: 'slow' });
      expect(healthyAtDrop).toBeGreaterThan(0);
      expect(healthy.packets).toBeGreaterThan(healthyAtDrop + 5000); // kept flowing after the drop
      expect(healthy.gaps).toBe(0);
      expect(srtSide.gaps).toBe(0);
      expect(srtSide.misaligned).toBe(0);
      expect(srtSide.packets).toBeGreaterThan(healthy.packets * 0.9);
      await mdu.closeStream(s, 'test over');
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'survives a publisher that sends garbage, then relays a good one',
    async () => {
      const s = `junk-${token().slice(0, 6)}`;
      const bad = await publisher(s);
      const junk = new Uint8Array(1316 * 300);
      crypto.getRandomValues(junk);
      for (let i = 0; i < junk.length; i += 1000) junk[i] = 0x47; // false sync bytes now and then
      await pace(bad, junk, RATE_BPS);
      await bad.close();
      await waitFor(() => events('publish.end', s).length === 1, LOADED_BOUND_MS, 'publish.end');
      const good = await publisher(s);
      const checker = new TsChecker();
      mdu.subscribe(s, (chunk) => (checker.push(chunk), true));
      await pace(good, (await testClip()).subarray(0, 300 * 1316), RATE_BPS);
      await waitFor(() => checker.packets > 1500, LOADED_BOUND_MS, 'relayed packets');
      expect(checker.misaligned).toBe(0);
      await mdu.closeStream(s, 'test over');
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'starts an SRT viewer at the latest keyframe',
    async () => {
      const s = `kf-${token().slice(0, 6)}`;
      const pub = await publisher(s);
      const clip = await testClip();
      await pace(pub, clip.subarray(0, 400 * 1316), RATE_BPS); // ~2 s: at least one keyframe
      // Keep publishing while the viewer connects: a publisher silent for SILENCE_MS ends, and its cache with it.
      let first: Uint8Array | null = null;
      const feeding = pace(pub, clip.subarray(400 * 1316, Math.floor(clip.byteLength / 1316) * 1316), RATE_BPS, () => first !== null);
      const { c: viewer } = await srtViewer(s);
      viewer.onData = (chunk) => (first ??= chunk);
      await waitFor(() => first !== null, LOADED_BOUND_MS, 'first data');
      await feeding;
      const f = first as unknown as Uint8Array;
      expect(tsPid(f, 0)).toBe(0);
      expect((f[TS_PACKET_BYTES * 2 + 5] as number) & 0x40).toBe(0x40);
      await mdu.closeStream(s, 'test over');
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'closeStream disconnects publisher, SRT viewers and subscribers with the reason',
    async () => {
      const s = `close-${token().slice(0, 6)}`;
      const pub = await publisher(s);
      // Publish until the stream is closed: a publisher silent for SILENCE_MS would end first ('silent').
      let closing = false;
      const clip = await testClip();
      const feeding = pace(pub, clip.subarray(0, Math.floor(clip.byteLength / 1316) * 1316), RATE_BPS, () => closing);
      const { c: viewer } = await srtViewer(s);
      let subEnd = '';
      mdu.subscribe(
        s,
        () => true,
        (why) => (subEnd = why),
      );
      await waitFor(() => events('viewer.join', s).length === 2, LOADED_BOUND_MS, 'joins');
      closing = true;
      await feeding;
      await mdu.closeStream(s, 'stream stopped');
      expect(subEnd).toBe('stream stopped');
      await waitFor(() => events('viewer.leave', s).length === 2 && events('publish.end', s).length === 1, LOADED_BOUND_MS, 'leaves');
      expect(events('publish.end', s)[0]?.reason).toBe('stream stopped');
      expect(events('viewer.leave', s).map((e) => e.reason)).toEqual(['stream stopped', 'stream stopped']);
      // The peers normally notice at once (libsrt's shutdown packet); one that missed it notices by its
      // idle timeout, which runs out only because the relay's sockets really closed (see PEER_NOTICE_BOUND_MS).
      expect(await Promise.all([closedWithin(pub), closedWithin(viewer)])).toEqual(['disconnected', 'disconnected']);
      const info = await mdu.inspect();
      expect(info.sockets).toBe(0);
      expect(info.streams).not.toContain(s);
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'revoke withdraws an unused grant and disconnects the peer admitted with a token',
    async () => {
      const s = `revoke-${token().slice(0, 6)}`;
      const { t, c: viewer } = await srtViewer(s);
      await waitFor(() => events('viewer.join', s).length === 1, LOADED_BOUND_MS, 'join'); // the relay holds it
      const unused = token();
      await mdu.allowViewer({ streamId: s, token: unused, passphrase: PASS, pbkeylen: 16 });
      await mdu.revoke(s, unused);
      await expect(caller(mdu.port, sid(s, 'request', unused), { passphrase: PASS, pbkeylen: 16 })).rejects.toBeInstanceOf(SrtError);
      await mdu.revoke(s, t);
      // Prompt on the relay's side: by the time revoke() resolves the socket is closed and the leave reported.
      expect(events('viewer.leave', s).map((e) => e.reason)).toEqual(['revoked']);
      expect((await mdu.inspect()).sockets).toBe(0);
      // The peer learns it from libsrt's shutdown packet, or by its idle timeout when it missed that.
      expect(await closedWithin(viewer)).toBe('disconnected');
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'stops cleanly and frees the port for a new MDU',
    async () => {
      const first = await MduClass.start({ port: 0, host: '127.0.0.1', log: () => {} });
      const port = first.port;
      await first.stop();
      const second = await MduClass.start({ port, host: '127.0.0.1', log: () => {} });
      expect(second.port).toBe(port);
      await second.stop();
      await expect(second.allowViewer({ streamId: 'x', token: 'y' })).rejects.toThrow('stopped');
    },
    CASE_TIMEOUT_MS,
  );

  it(
    "raises its relay thread and libsrt's threads to MDU_THREAD_NICE before libsrt starts, and says so",
    async () => {
      const before = new Set(threads().map((t) => t.tid));
      const lines: Array<Record<string, unknown>> = [];
      const m = await MduClass.start({ port: 0, host: '127.0.0.1', log: (l) => lines.push(l) });
      try {
        const line = lines.find((l) => String(l.event).startsWith('mdu.priority'))!;
        // As root (CI) the request is granted; without CAP_SYS_NICE it is refused, logged, and relaying goes on.
        if (process.getuid?.() === 0) expect(line).toEqual({ level: 'info', event: 'mdu.priority', nice: MDU_THREAD_NICE });
        else expect(line.event === 'mdu.priority' || line.event === 'mdu.priority.refused').toBe(true);
        if (line.event === 'mdu.priority') {
          // Its worker and the threads libsrt made for its listener (SRT:RcvQ, SRT:SndQ) inherited it.
          const made = threads().filter((t) => !before.has(t.tid) && (t.name === 'Worker' || t.name.startsWith('SRT:')));
          expect(made.some((t) => t.name.startsWith('SRT:RcvQ'))).toBe(true);
          for (const t of made) expect(t).toEqual({ ...t, nice: MDU_THREAD_NICE });
        }
      } finally {
        await m.stop();
      }
    },
    CASE_TIMEOUT_MS,
  );

  it(
    "closes its listener after listenerDormantAfterMs with nothing granted (libsrt's threads for the port end), and opens it again on the same port at the next grant; a port taken meanwhile fails that grant, saying so",
    async () => {
      const before = new Set(threads().map((t) => t.tid));
      const lines: Array<Record<string, unknown>> = [];
      const m = await MduClass.start({ port: 0, host: '127.0.0.1', log: (l) => lines.push(l), listenerDormantAfterMs: DORMANT_MS });
      const srtThreads = () => threads().filter((t) => !before.has(t.tid) && t.name.startsWith('SRT:RcvQ'));
      try {
        expect(srtThreads().length).toBe(1);
        await waitFor(async () => lines.some((l) => l.event === 'mdu.listener.dormant'), LOADED_BOUND_MS, 'the listener dormant');
        // libsrt ends the port's threads once its closed listener is collected (about 5 s).
        await waitFor(async () => srtThreads().length === 0, LIBSRT_COLLECT_BOUND_MS, "libsrt's receive thread gone");
        // Someone else takes the port meanwhile: the grant fails and says why; nothing is granted.
        // (libsrt may close the port's UDP socket a moment after its thread ends: try until the port is free.)
        let squatter: { close(): void } | undefined;
        await waitFor(
          async () => {
            squatter = await Bun.udpSocket({ hostname: '127.0.0.1', port: m.port }).catch(() => undefined);
            return squatter !== undefined;
          },
          LOADED_BOUND_MS,
          'the port free',
        );
        const s = `dormant-${token().slice(0, 6)}`;
        const t = token();
        try {
          const refused = await rejectionOf(m.allowPublisher({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16 }));
          expect(String(refused)).toContain(`could not open again on port ${m.port}`);
          expect((await m.inspect()).grants).toBe(0);
        } finally {
          squatter?.close();
        }
        // Freed: the next grant opens it on the same port, and the publisher is relayed.
        await m.allowPublisher({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16 });
        expect(lines.filter((l) => l.event === 'mdu.listener.open')).toEqual([{ level: 'info', event: 'mdu.listener.open', port: m.port }]);
        expect(srtThreads().length).toBe(1);
        await publishes(m, s, t);
      } finally {
        await m.stop();
      }
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'sleeps while no stream is granted (its thread wakes a few times a second, not 40), and relays a stream granted then',
    async () => {
      const before = new Set(threads().map((t) => t.tid));
      const m = await MduClass.start({ port: 0, host: '127.0.0.1', log: () => {} });
      try {
        const worker = threads().find((t) => !before.has(t.tid) && t.name === 'Worker')?.tid;
        expect(worker).toBeDefined();
        /** The relay thread's sleeps so far: each wake of its loop is one voluntary context switch. */
        const wakes = () => Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${process.pid}/task/${worker}/status`, 'utf8'))![1]);
        await Bun.sleep(IDLE_CHECK_MS / 2); // past its start-up
        const w0 = wakes();
        await Bun.sleep(IDLE_CHECK_MS);
        // Its stats once a second and the runtime's timers; the 25 ms accept loop would be 40 a second.
        expect(wakes() - w0).toBeLessThanOrEqual((IDLE_CHECK_MS / STATS_INTERVAL_MS) * IDLE_WAKES_PER_STATS_MAX);
        // A grant wakes it: a publisher granted now connects and is relayed.
        const s = `wake-${token().slice(0, 6)}`;
        const t = token();
        await m.allowPublisher({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16 });
        await publishes(m, s, t);
      } finally {
        await m.stop();
      }
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'refuses to start on a port held by another listener',
    async () => {
      await expect(MduClass.start({ port: mdu.port, host: '127.0.0.1', log: () => {} })).rejects.toThrow('failed to start');
    },
    CASE_TIMEOUT_MS,
  );
});
