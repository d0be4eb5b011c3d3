/**
 * The world of the Vr end-to-end tests (vr-*.e2e.test.ts): a platform, Alice and Bob signed in,
 * Alice's simulated camera online over Vd with its StartRecord and StopRecord captured, and eight
 * FFmpeg-made one-second segments; a record session started the way the API starts one, and a run
 * of segments recorded over the PU's Vr side.
 */
import { expect } from 'bun:test';
import type { TestPlatform } from '../helpers/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import { expectUploaded } from './backend.ts';
import { captureRecording, makeSegments, onlineCam, put, type RecordCapture, type Segment, type TestCam, until, userToken, VrClient } from './helpers.ts';

/** Frames per second of the segments makeSegments encodes. */
export const FPS = 25;
/** Device time of the first recorded segment (an hour ago: well inside the default listing range). */
export const T0 = Math.floor(Date.now() / 1000) - 3600;
/** Segments each test file gets, one second each. */
const SEGMENTS = 8;
/** The session the tests start: one-second segments of at most 1 MB. */
export const SESSION_PARAMS = { seg_duration: 1, seg_max_size: 1_000_000 };
/** How long the platform may take to send StartRecord or to report a state. */
const WAIT_MS = 10_000;

/** What every Vr end-to-end test file starts with. */
export interface VrWorld {
  p: TestPlatform;
  alice: string;
  bob: string;
  cam: TestCam;
  cap: RecordCapture;
  segs: Segment[];
}

/** Start the platform, sign Alice and Bob in, bring Alice's camera online, and make the segments. */
export async function setUpVr(): Promise<VrWorld> {
  const [p, segs] = await Promise.all([startTestPlatform(), makeSegments(SEGMENTS, 1)]);
  const alice = await userToken(p, 'alice');
  const bob = await userToken(p, 'bob');
  const cap = captureRecording();
  const cam = await onlineCam(p, 'CAM-VR-1', 'a0b1c2d3e601', cap.hooks, alice, 2);
  return { p, alice, bob, cam, cap, segs };
}

/** Start a record session on channel 0 as Alice, wait until it records, and return the PU's Vr client. */
export async function startSession(w: VrWorld): Promise<VrClient> {
  const r = await w.p.api(`/api/devices/${w.cam.id}/channels/0/recording`, { token: w.alice, method: 'POST', body: JSON.stringify(SESSION_PARAMS) });
  expect(r.status).toBe(201);
  const started = await until(
    () => w.cap.starts,
    (l) => l.length === 1,
    WAIT_MS,
    'StartRecord',
  );
  await until(
    async () => (await w.p.api(`/api/devices/${w.cam.id}/channels/0/recording`, { token: w.alice })).json(),
    (v) => v.state === 'recording',
    WAIT_MS,
    'recording',
  );
  return new VrClient(started[0]!.cbk_url, w.cam.mac);
}

/** Upload segments i..j of `segs` as one continuous run starting at T0 + offset, confirming each with the next create. */
export async function record(vr: VrClient, list: Segment[], at: number, opts: { firstDiscontinue?: 0 | 1; prev?: string } = {}): Promise<string> {
  let prev = opts.prev;
  for (const [i, s] of list.entries()) {
    const c = await vr.create(
      { size: s.bytes.length, start: at + s.offset - list[0]!.offset, duration: s.duration, discontinue: i === 0 ? (opts.firstDiscontinue ?? 0) : 0 },
      prev,
    );
    expect(c.status).toBe(200);
    expectUploaded(await put(String(c.body.url), s.bytes), s.bytes.length);
    prev = String(c.body.name);
  }
  return prev!;
}
