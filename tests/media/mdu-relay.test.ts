import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import type { Mdu, MduEvents } from '../../media/mdu/index.ts';
import { TS_PACKET_BYTES, tsPid } from '../../media/mdu/ts.ts';
import {
  MDU_HOOK_TIMEOUT_MS,
  PASS,
  TsChecker,
  ffmpegPublish,
  ffmpegPull,
  probeVideo,
  startsWithKeyframe,
  record,
  sid,
  srtUrl,
  startMdu,
  tempDir,
  token,
  waitFor,
} from './helpers.ts';

let mdu: Mdu;
let rec: ReturnType<typeof record>;
const tmp = tempDir();
beforeAll(async () => {
  ({ mdu } = await startMdu());
  rec = record(mdu);
}, MDU_HOOK_TIMEOUT_MS);
afterAll(async () => {
  rec.stop();
  await mdu.stop();
  tmp.cleanup();
}, MDU_HOOK_TIMEOUT_MS);

const started = (s: string) => () => rec.events.some((x) => x.name === 'publish.start' && (x.e as { streamId: string }).streamId === s);

/** FFmpeg → MDU → FFmpeg, with the ids raw or percent-encoded; returns what the viewer recorded. */
async function relayThroughFfmpeg(s: string, encode: boolean, out: string): Promise<{ codec: string; frames: number }> {
  const [tp, tv] = [token(), token()];
  await mdu.allowPublisher({ streamId: s, token: tp, passphrase: PASS, pbkeylen: 16 });
  await mdu.allowViewer({ streamId: s, token: tv, passphrase: PASS, pbkeylen: 16, expiresAt: Date.now() + 60_000 });
  const pub = ffmpegPublish(srtUrl(mdu.port, sid(s, 'publish', tp, encode), PASS), 9);
  await waitFor(started(s), 8000, 'publish.start');
  await Bun.sleep(1500); // join mid-stream
  const view = ffmpegPull(srtUrl(mdu.port, sid(s, 'request', tv, encode), PASS), 4, out);
  expect(await view.exited).toBe(0);
  pub.kill();
  await pub.exited;
  expect(await startsWithKeyframe(out)).toBe(true);
  return probeVideo(out);
}

/** Each case runs FFmpeg for several seconds of real time. */
const FFMPEG_CASE_TIMEOUT_MS = 30_000;

describe('relay of live MPEG-TS', () => {
  it(
    'relays FFmpeg H.264 to an FFmpeg viewer, decodable from its first frame',
    async () => {
      const s = `relay-${token().slice(0, 8)}`;
      const { codec, frames } = await relayThroughFfmpeg(s, false, join(tmp.dir, 'raw.ts'));
      expect(codec).toBe('h264');
      expect(frames).toBeGreaterThanOrEqual(50);
      const joinEvent = rec.events.find((x) => x.name === 'viewer.join' && (x.e as MduEvents['viewer.join']).streamId === s);
      expect(joinEvent?.e).toMatchObject({ kind: 'srt' });
      await waitFor(() => rec.events.some((x) => x.name === 'publish.end' && (x.e as { streamId: string }).streamId === s), 8000);
    },
    FFMPEG_CASE_TIMEOUT_MS,
  );

  it(
    'accepts percent-encoded stream ids from publisher and viewer',
    async () => {
      const s = `enc-${token().slice(0, 8)}`;
      const { codec, frames } = await relayThroughFfmpeg(s, true, join(tmp.dir, 'enc.ts'));
      expect(codec).toBe('h264');
      expect(frames).toBeGreaterThanOrEqual(50);
    },
    FFMPEG_CASE_TIMEOUT_MS,
  );

  it(
    'gives main-thread subscribers whole TS packets with continuous counters, from a keyframe',
    async () => {
      const s = `sub-${token().slice(0, 8)}`;
      const tp = token();
      await mdu.allowPublisher({ streamId: s, token: tp, passphrase: PASS, pbkeylen: 16 });
      const early = new TsChecker();
      const offEarly = mdu.subscribe(s, (chunk) => (early.push(chunk), true));
      const pub = ffmpegPublish(srtUrl(mdu.port, sid(s, 'publish', tp), PASS), 8);
      await waitFor(started(s), 8000, 'publish.start');
      await Bun.sleep(2000);
      const late = new TsChecker();
      let firstChunk: Uint8Array | null = null;
      const offLate = mdu.subscribe(s, (chunk) => {
        firstChunk ??= chunk;
        late.push(chunk);
        return true;
      });
      await Bun.sleep(2500);
      const stats = mdu.stats(s);
      pub.kill();
      await pub.exited;
      offEarly();
      offLate();
      for (const c of [early, late]) {
        expect(c.packets).toBeGreaterThan(1000);
        expect(c.misaligned).toBe(0);
        expect(c.gaps).toBe(0);
      }
      // the late joiner starts with PAT, PMT, then the keyframe's first packet (random access)
      const first = firstChunk as unknown as Uint8Array;
      expect(tsPid(first, 0)).toBe(0);
      expect((first[TS_PACKET_BYTES * 2 + 5] as number) & 0x40).toBe(0x40);
      expect(stats).toMatchObject({ streamId: s, live: true, viewers: 2 });
      expect(stats?.bitrateBps).toBeGreaterThan(500_000);
      expect(stats?.srt?.pktRecv).toBeGreaterThan(100);
      expect(stats?.srt?.msRcvTsbPdDelay).toBe(120);
    },
    FFMPEG_CASE_TIMEOUT_MS,
  );

  it(
    'hands each stream its own packets when one post carries the batches of several streams',
    async () => {
      // Two publishers at once: the worker posts both streams' batches together, and the main thread
      // splits them. A byte of one stream in the other's subscriber breaks its continuity counters.
      const ids = [`duo-a-${token().slice(0, 6)}`, `duo-b-${token().slice(0, 6)}`];
      const checkers = ids.map(() => new TsChecker());
      const offs: Array<() => void> = [];
      const pubs = [];
      for (const [i, s] of ids.entries()) {
        const tp = token();
        await mdu.allowPublisher({ streamId: s, token: tp, passphrase: PASS, pbkeylen: 16 });
        offs.push(mdu.subscribe(s, (chunk) => (checkers[i]!.push(chunk), true)));
        pubs.push(ffmpegPublish(srtUrl(mdu.port, sid(s, 'publish', tp), PASS), 6));
      }
      for (const s of ids) await waitFor(started(s), 8000, 'publish.start');
      await Bun.sleep(3000);
      for (const p of pubs) p.kill();
      await Promise.all(pubs.map((p) => p.exited));
      for (const off of offs) off();
      for (const c of checkers) {
        expect(c.packets).toBeGreaterThan(1000);
        expect(c.misaligned).toBe(0);
        expect(c.gaps).toBe(0);
      }
    },
    FFMPEG_CASE_TIMEOUT_MS,
  );
});
