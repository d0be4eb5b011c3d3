/**
 * Continuous mode's frames: FFmpeg decodes a stream at the channel's rate into 512×512 RGB frames, the runtime finds
 * the person in them, and the presence merger makes one presence with a start and an end. The stream here is a file
 * FFmpeg made of the test pattern with darknet's person.jpg on it (the platform's feed writes the MDU's stream into the same FFmpeg).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputSizeOf, startFrameFeed } from '../../../services/detection/ffmpeg-frames.ts';
import { MODEL_FRAME_BYTES } from '../../../services/detection/model.ts';
import { Presence } from '../../../services/detection/presence.ts';
import { type DetectionRuntime, startDetectionRuntime } from '../../../services/detection/runtime.ts';
import { DARKNET_DATA_DIR, DARKNET_PERSON } from './darknet.ts';

setDefaultTimeout(60_000);
/** The stream: 2 s of 1280×720 at 10 frames/s; detected at 2 frames/s: about 4 frames. */
const STREAM_S = 2;
const FEED_FPS = 2;
const MIN_SCORE = 0.5;

let dir: string;
let stream: string;
let rt: DetectionRuntime;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'h627-feed-'));
  stream = join(dir, 'person.ts');
  const make = Bun.spawn(
    [
      ...['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=10:duration=${STREAM_S}`],
      ...['-loop', '1', '-i', `${DARKNET_DATA_DIR}/${DARKNET_PERSON}`, '-filter_complex', '[1:v]scale=-2:576[p];[0:v][p]overlay=(W-w)/2:(H-h)/2:shortest=1'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', stream],
    ],
    { stdout: 'ignore', stderr: 'inherit' },
  );
  expect(await make.exited).toBe(0);
  rt = await startDetectionRuntime({ budgetFps: 50 });
});
afterAll(async () => {
  await rt?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('frame feed', () => {
  it('gives whole 512×512 frames at the rate asked, and the person in them makes one presence from start to end', async () => {
    const results: Promise<void>[] = [];
    const presence = new Presence();
    const changes: string[] = [];
    let n = 0;
    let withPerson = 0;
    const feed = startFrameFeed(stream, FEED_FPS, (rgb) => {
      expect(rgb.byteLength).toBe(MODEL_FRAME_BYTES);
      const at = (n++ * 1000) / FEED_FPS;
      results.push(
        rt.submit('cam:feed', { kind: 'rgb', bytes: rgb, width: 1280, height: 720 }, MIN_SCORE).then((o) => {
          const seen = new Map(o.ok ? o.detections.filter((d) => d.class === 'person').map((d) => [d.class, d.score] as [string, number]) : []);
          if (seen.size > 0) withPerson++;
          for (const c of presence.frame(at, seen)) changes.push(c.kind);
        }),
      );
    });
    expect((await feed.ended).reason).toBe('the stream ended');
    expect(feed.inputSize()).toEqual({ width: 1280, height: 720 }); // FFmpeg named the input's size, not its output's 512×512
    await Promise.all(results);
    for (const c of presence.close()) changes.push(c.kind);
    expect(n).toBeGreaterThanOrEqual(STREAM_S * FEED_FPS - 1);
    expect(n).toBeLessThanOrEqual(STREAM_S * FEED_FPS + 1);
    expect(withPerson).toBeGreaterThanOrEqual(n - 1); // one frame in four fell under 0.5 here: a presence survives it
    expect(changes).toEqual(['start', 'end']);
  });

  it('says why when FFmpeg cannot read the input', async () => {
    const feed = startFrameFeed(join(dir, 'missing.ts'), FEED_FPS, () => {});
    expect((await feed.ended).reason).toContain('FFmpeg could not read');
    expect(feed.inputSize()).toBeUndefined();
  });

  it("reads the input's size from FFmpeg's description of its streams, never the output's", () => {
    const header = [
      "Input #0, mpegts, from 'pipe:0':",
      '  Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 25 fps',
      'Stream mapping:',
      '  Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))',
      "Output #0, rawvideo, to 'pipe:':",
      '  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 512x512, q=2-31',
    ].join('\n');
    expect(inputSizeOf(header)).toEqual({ width: 1920, height: 1080 });
    expect(inputSizeOf(header.split('\n').slice(2).join('\n'))).toBeUndefined();
  });
});
