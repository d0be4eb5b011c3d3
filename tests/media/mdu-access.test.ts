import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import type { Mdu, MduEvents } from '../../media/mdu/index.ts';
import { SrtError, SrtErrno, SrtRej, SrtRejx, type SrtCaller } from '../../media/srt/index.ts';
import {
  MDU_HOOK_TIMEOUT_MS,
  PASS,
  PEER_NOTICE_BOUND_MS,
  caller,
  closeCallers,
  ffmpegPublish,
  record,
  sid,
  srtUrl,
  startMdu,
  token,
  waitFor,
} from './helpers.ts';

let mdu: Mdu;
let rec: ReturnType<typeof record>;
let n = 0;
beforeAll(async () => {
  ({ mdu } = await startMdu());
  rec = record(mdu);
}, MDU_HOOK_TIMEOUT_MS);
afterEach(closeCallers, MDU_HOOK_TIMEOUT_MS);
afterAll(async () => {
  rec.stop();
  await mdu.stop();
}, MDU_HOOK_TIMEOUT_MS);

/** A fresh stream name per test, so tests do not see each other's grants. */
const stream = () => `cam-${++n}-${token().slice(0, 6)}`;

/** Connect and expect a refusal; returns the caller-side rejection reason. */
async function refused(streamId: string, passphrase?: string): Promise<number> {
  try {
    const c = await caller(mdu.port, streamId, passphrase ? { passphrase, pbkeylen: 16 } : {});
    await c.close();
  } catch (e) {
    expect(e).toBeInstanceOf(SrtError);
    expect((e as SrtError).code).toBe(SrtErrno.ECONNREJ);
    return (e as SrtError).rejectReason ?? -1;
  }
  throw new Error('connection was admitted');
}

/** The next 'rejected' event for `streamId`, if any arrives. */
async function rejection(streamId: string | undefined): Promise<MduEvents['rejected']> {
  let hit: MduEvents['rejected'] | undefined;
  await waitFor(
    () => {
      hit = rec.events.find((x) => x.name === 'rejected' && (x.e as MduEvents['rejected']).streamId === streamId)?.e as MduEvents['rejected'] | undefined;
      return !!hit;
    },
    5000,
    `rejected event for ${streamId}`,
  );
  return hit as MduEvents['rejected'];
}

/** Bound for the worker's housekeeping to settle a refusal (it runs every 100 ms): generous for a loaded machine. */
const SETTLE_BOUND_MS = 10_000;

/** Nothing is left open by a refusal: no socket held, no handshake pending, once housekeeping has run. */
async function nothingOpen(): Promise<void> {
  const settled = async () => {
    const info = await mdu.inspect();
    return info.pendingHandshakes === 0 && info.sockets === 0;
  };
  await waitFor(settled, SETTLE_BOUND_MS, 'no socket or handshake left').catch(() => {});
  const info = await mdu.inspect();
  expect(info.pendingHandshakes).toBe(0);
  expect(info.sockets).toBe(0);
}

/** Handshakes, FFmpeg start-up and the worker's housekeeping take a few seconds at most; a peer may take its idle timeout to notice a close. */
const CASE_TIMEOUT_MS = 30_000;

describe('handshake-time access control', () => {
  it(
    'rejects an unknown stream with 403',
    async () => {
      const s = stream();
      expect(await refused(sid(s, 'publish', token()), PASS)).toBe(SrtRejx.FORBIDDEN);
      expect(await rejection(s)).toMatchObject({ reason: 'forbidden', code: SrtRejx.FORBIDDEN, mode: 'publish' });
      await nothingOpen();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'rejects a wrong token with 403',
    async () => {
      const s = stream();
      await mdu.allowPublisher({ streamId: s, token: token(), passphrase: PASS, pbkeylen: 16 });
      expect(await refused(sid(s, 'publish', token()), PASS)).toBe(SrtRejx.FORBIDDEN);
      expect((await rejection(s)).reason).toBe('forbidden');
      await nothingOpen();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'rejects a token used for the wrong mode with 403',
    async () => {
      const s = stream();
      const t = token();
      await mdu.allowPublisher({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16 });
      expect(await refused(sid(s, 'request', t), PASS)).toBe(SrtRejx.FORBIDDEN);
      expect(await rejection(s)).toMatchObject({ reason: 'forbidden', mode: 'request' });
      await nothingOpen();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'rejects a malformed stream id with 400',
    async () => {
      expect(await refused('not-an-access-id')).toBe(SrtRejx.BAD_REQUEST);
      expect(await rejection(undefined)).toMatchObject({ reason: 'bad-request', code: SrtRejx.BAD_REQUEST });
      await nothingOpen();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'fails a wrong passphrase with BADSECRET and a missing one with UNSECURE',
    async () => {
      const s = stream();
      const t = token();
      await mdu.allowPublisher({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16 });
      expect(await refused(sid(s, 'publish', t), 'the-wrong-passphrase')).toBe(SrtRej.BADSECRET);
      expect(await rejection(s)).toMatchObject({ reason: 'handshake-failed', mode: 'publish' });
      rec.events.length = 0;
      expect(await refused(sid(s, 'publish', t))).toBe(SrtRej.UNSECURE);
      expect(await rejection(s)).toMatchObject({ reason: 'handshake-failed' });
      await nothingOpen();
      // a failed handshake did not use the token up
      const c = await caller(mdu.port, sid(s, 'publish', t), { passphrase: PASS, pbkeylen: 16 });
      await c.close();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'admits a token once: a reused token is rejected with 403',
    async () => {
      const s = stream();
      const t = token();
      await mdu.allowPublisher({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16 });
      const c = await caller(mdu.port, sid(s, 'publish', t), { passphrase: PASS, pbkeylen: 16 });
      await waitFor(() => rec.events.some((x) => x.name === 'publish.start' && (x.e as { streamId: string }).streamId === s));
      await c.close();
      await waitFor(() => rec.events.some((x) => x.name === 'publish.end' && (x.e as { streamId: string }).streamId === s));
      expect(await refused(sid(s, 'publish', t), PASS)).toBe(SrtRejx.FORBIDDEN);
      await nothingOpen();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'rejects a second publisher of a live stream with 409',
    async () => {
      const s = stream();
      const [t1, t2] = [token(), token()];
      await mdu.allowPublisher({ streamId: s, token: t1, passphrase: PASS, pbkeylen: 16 });
      await mdu.allowPublisher({ streamId: s, token: t2, passphrase: PASS, pbkeylen: 16 });
      const first = await caller(mdu.port, sid(s, 'publish', t1), { passphrase: PASS, pbkeylen: 16 });
      await waitFor(() => mdu.stats(s)?.live === true || rec.events.some((x) => x.name === 'publish.start' && (x.e as { streamId: string }).streamId === s));
      expect(await refused(sid(s, 'publish', t2), PASS)).toBe(SrtRejx.CONFLICT);
      expect((await rejection(s)).reason).toBe('conflict');
      await first.close();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'admits only one of two racing connects with the same token',
    async () => {
      const s = stream();
      const t = token();
      await mdu.allowViewer({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16 });
      const tries = await Promise.allSettled([0, 1, 2].map(() => caller(mdu.port, sid(s, 'request', t), { passphrase: PASS, pbkeylen: 16 })));
      const admitted = tries.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<SrtCaller>).value);
      // A loser either fails the handshake (403) or is closed right after accept ('token-reused'); each
      // closed one notices (at once, or by its idle timeout when it missed libsrt's shutdown packet).
      const ended: string[] = [];
      for (const c of admitted) void c.closed.then((why) => ended.push(why));
      await waitFor(() => ended.length >= admitted.length - 1, PEER_NOTICE_BOUND_MS, 'the losers to be closed').catch(() => {});
      expect(ended).toEqual(Array(admitted.length - 1).fill('disconnected'));
      const joins = () => rec.events.filter((x) => x.name === 'viewer.join' && (x.e as { streamId: string }).streamId === s);
      await waitFor(() => joins().length > 0, SETTLE_BOUND_MS, 'the join').catch(() => {});
      expect(joins()).toHaveLength(1);
      await Promise.all(admitted.map((c) => c.close()));
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'rejects an expired viewer token',
    async () => {
      const s = stream();
      const t = token();
      await mdu.allowViewer({ streamId: s, token: t, passphrase: PASS, pbkeylen: 16, expiresAt: Date.now() + 200 });
      await Bun.sleep(300);
      expect(await refused(sid(s, 'request', t), PASS)).toBe(SrtRejx.FORBIDDEN);
      await nothingOpen();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'rejects FFmpeg with an unknown token and logs it',
    async () => {
      const s = stream();
      const p = ffmpegPublish(srtUrl(mdu.port, sid(s, 'publish', token()), PASS), 2);
      expect(await p.exited).not.toBe(0);
      expect((await rejection(s)).reason).toBe('forbidden');
      await nothingOpen();
    },
    CASE_TIMEOUT_MS,
  );
});
