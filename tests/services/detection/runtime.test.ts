/** The detection runtime on Debian darknet's photos: right classes and boxes, nothing on the test pattern, the queue and the budget. */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { ffmpegJpeg } from '../../../device/jpeg.ts';
import { decodeToModelFrame } from '../../../services/detection/frames.ts';
import { type DetectionRuntime, type Outcome, startDetectionRuntime } from '../../../services/detection/runtime.ts';
import { DARKNET_DOG, DARKNET_PERSON, darknetPhoto } from './darknet.ts';

setDefaultTimeout(60_000);
const MIN_SCORE = 0.3;

let rt: DetectionRuntime;
beforeAll(async () => {
  rt = await startDetectionRuntime({ budgetFps: 50 });
});
afterAll(() => rt.stop());

const ok = (o: Outcome) => {
  if (!o.ok) throw new Error(`${o.reason}: ${o.detail}`);
  return o;
};

describe('detection runtime', () => {
  it('finds the person in darknet person.jpg, boxed where the person stands, in the photo’s pixels', async () => {
    const r = ok(await rt.submit('cam:1', { kind: 'jpeg', bytes: await darknetPhoto(DARKNET_PERSON) }, MIN_SCORE));
    expect([r.width, r.height]).toEqual([640, 424]);
    const person = r.detections.find((d) => d.class === 'person');
    expect(person).toBeDefined();
    expect(person?.score).toBeGreaterThan(0.5);
    // the person stands left of centre, about x 190–280, from y ~110 down to the ground (~380)
    const [x, y, w, h] = person?.box ?? [0, 0, 0, 0];
    expect(x).toBeGreaterThan(160);
    expect(x + w).toBeLessThan(310);
    expect(y).toBeLessThan(150);
    expect(y + h).toBeGreaterThan(340);
  });

  it('finds the dog in darknet dog.jpg', async () => {
    const r = ok(await rt.submit('cam:1', { kind: 'jpeg', bytes: await darknetPhoto(DARKNET_DOG) }, MIN_SCORE));
    const dog = r.detections.find((d) => d.class === 'dog');
    expect(dog).toBeDefined();
    // the dog sits bottom-left (768×576 photo)
    expect((dog?.box[0] ?? 999) + (dog?.box[2] ?? 0) / 2).toBeLessThan(384);
    expect((dog?.box[1] ?? 0) + (dog?.box[3] ?? 0) / 2).toBeGreaterThan(288);
  });

  it('finds nothing on the simulator’s plain test pattern', async () => {
    const jpeg = await ffmpegJpeg({ width: 1280, height: 720, text: 'cam 1' });
    const r = ok(await rt.submit('cam:1', { kind: 'jpeg', bytes: jpeg }, MIN_SCORE));
    expect(r.detections).toEqual([]);
  });

  it('takes raw 512×512 RGB frames and maps boxes to the size given', async () => {
    const f = await decodeToModelFrame(await darknetPhoto(DARKNET_PERSON));
    const r = ok(await rt.submit('cam:1', { kind: 'rgb', bytes: f.rgb, width: 1280, height: 848 }, MIN_SCORE));
    const person = r.detections.find((d) => d.class === 'person');
    expect(person?.box[0]).toBeGreaterThan(320); // twice the 640-wide photo's ~190
    expect(r.decodeMs).toBeLessThan(r.inferMs);
  });

  it('refuses a picture that is not one, with the reason', async () => {
    const r = await rt.submit('cam:1', { kind: 'jpeg', bytes: new TextEncoder().encode('not a jpeg') }, MIN_SCORE);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('failed');
    expect(rt.stats().failed).toBeGreaterThan(0);
  });
});

describe('queue and budget', () => {
  let small: DetectionRuntime;
  let pattern: Uint8Array;
  beforeAll(async () => {
    small = await startDetectionRuntime({ queuePerSource: 1, budgetFps: 50 });
    pattern = await ffmpegJpeg({ width: 640, height: 360, text: 'q' });
  });
  afterAll(() => small.stop());

  it('drops the oldest waiting frame of a camera rather than falling behind, and counts it', async () => {
    const before = small.stats().dropped;
    const all = await Promise.all([1, 2, 3].map(() => small.submit('cam:a', { kind: 'jpeg', bytes: pattern }, MIN_SCORE)));
    expect(all.map((o) => o.ok)).toEqual([true, false, true]);
    if (!all[1]?.ok) expect(all[1]?.reason).toBe('dropped');
    expect(small.stats().dropped).toBe(before + 1);
  });

  it('serves waiting cameras in turn (a busy camera does not starve a quiet one)', async () => {
    const order: string[] = [];
    const send = (src: string) => rt.submit(src, { kind: 'jpeg', bytes: pattern }, MIN_SCORE).then((o) => o.ok && order.push(src));
    // cam:b takes the worker and queues two more; cam:c arrives last yet goes before cam:b's third frame
    await Promise.all([send('cam:b'), send('cam:b'), send('cam:b'), send('cam:c')]);
    expect(order).toEqual(['cam:b', 'cam:b', 'cam:c', 'cam:b']);
  });

  it('keeps to the node budget in frames/s', async () => {
    const slow = await startDetectionRuntime({ budgetFps: 2 });
    try {
      const t0 = performance.now();
      // burst 1, then 2 frames/s: the third frame cannot start before ~1 s
      const r = await Promise.all(['x', 'y', 'z'].map((s) => slow.submit(s, { kind: 'jpeg', bytes: pattern }, MIN_SCORE)));
      expect(r.every((o) => o.ok)).toBe(true);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    } finally {
      await slow.stop();
    }
  });
});
