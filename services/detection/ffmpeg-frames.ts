/**
 * Frames from a video stream for continuous mode (docs/detection.md): one FFmpeg per watched channel decodes its
 * input at the channel's rate and scales it to the model's input (`-vf fps=N,scale=512:512 -f rawvideo -pix_fmt
 * rgb24`), and each whole frame goes to `onFrame`. The input is any URL FFmpeg reads, or `FEED_STDIN`: the caller
 * writes MPEG-TS into it (the platform writes the MDU's stream of the channel: services/detection/feed.ts).
 */
import { MODEL_FRAME_BYTES, MODEL_INPUT_PX } from './model.ts';

/** Longest FFmpeg may take to give its first frame before the feed counts as failed. */
export const FEED_FIRST_FRAME_TIMEOUT_MS = 15_000;
/** Bytes of FFmpeg's error output kept for the reason of a failure. */
const STDERR_KEEP_BYTES = 2048;
/** Bytes of FFmpeg's output looked at for the input's size (its stream lines come first). */
const HEADER_MAX_BYTES = 16_384;
/** The input's video stream as FFmpeg describes it: `Stream #0:0[0x100]: Video: h264 (High) (…), yuv420p(…), 1280x720 …`. */
const INPUT_VIDEO_SIZE = /Stream #0:\d+[^\n]*?: Video: [^\n]*?, (\d{2,5})x(\d{2,5})\b/;

/** A picture's size in pixels. */
export interface PictureSize {
  width: number;
  height: number;
}

/** The input's size from FFmpeg's description of its streams (`-loglevel info`), read before its output's. */
export function inputSizeOf(header: string): PictureSize | undefined {
  const input = header.split(/\nOutput #|\nStream mapping:/)[0] ?? '';
  const m = INPUT_VIDEO_SIZE.exec(input);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

/** The input that reads MPEG-TS the caller writes (`FrameFeed.write`). */
export const FEED_STDIN = 'pipe:0';

/** A running frame feed. */
export interface FrameFeed {
  /** Resolves when FFmpeg has ended, with why. */
  readonly ended: Promise<{ reason: string }>;
  /** The input's video size, once FFmpeg has described it (the frames are scaled from it to the model's square). */
  inputSize(): PictureSize | undefined;
  /** Input bytes, with `FEED_STDIN` (dropped once FFmpeg has ended). */
  write(chunk: Uint8Array): void;
  stop(): void;
}

/** Starts FFmpeg on `input` at `fps` frames/s; `onFrame` gets each 512×512 RGB frame (the runtime's `{kind: 'rgb'}`). */
export function startFrameFeed(input: string, fps: number, onFrame: (rgb: Uint8Array) => void, extraInputArgs: string[] = []): FrameFeed {
  const piped = input === FEED_STDIN;
  // info, not error: FFmpeg names the input's size there (no progress lines: -nostats)
  const args = ['ffmpeg', '-hide_banner', '-nostats', '-loglevel', 'info', ...(piped ? ['-f', 'mpegts'] : ['-nostdin']), ...extraInputArgs, '-i', input];
  const filter = `fps=${fps},scale=${MODEL_INPUT_PX}:${MODEL_INPUT_PX}`;
  const proc = Bun.spawn([...args, '-an', '-vf', filter, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: piped ? 'pipe' : 'ignore',
  });
  let stopped = false;
  let exited = false;
  let frames = 0;
  const firstFrame = setTimeout(() => {
    if (frames === 0) proc.kill();
  }, FEED_FIRST_FRAME_TIMEOUT_MS);
  const read = (async () => {
    // whole frames out of a byte stream: fill one buffer, hand it over, start the next
    let frame = new Uint8Array(MODEL_FRAME_BYTES);
    let filled = 0;
    for await (const chunk of proc.stdout) {
      let off = 0;
      while (off < chunk.byteLength) {
        const n = Math.min(chunk.byteLength - off, MODEL_FRAME_BYTES - filled);
        frame.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === MODEL_FRAME_BYTES) {
          frames++;
          onFrame(frame);
          frame = new Uint8Array(MODEL_FRAME_BYTES);
          filled = 0;
        }
      }
    }
  })();
  // FFmpeg's messages: the first HEADER_MAX_BYTES for the input's size, the last STDERR_KEEP_BYTES for a failure's reason
  let header = '';
  let tail = '';
  let size: PictureSize | undefined;
  const decoder = new TextDecoder();
  const errRead = (async () => {
    for await (const chunk of proc.stderr) {
      const text = decoder.decode(chunk, { stream: true });
      if (!size && header.length < HEADER_MAX_BYTES) {
        header += text;
        size = inputSizeOf(header);
      }
      tail = (tail + text).slice(-STDERR_KEEP_BYTES);
    }
  })();
  const ended = (async () => {
    await read;
    await errRead;
    const code = await proc.exited;
    exited = true;
    clearTimeout(firstFrame);
    if (stopped) return { reason: 'stopped' };
    if (frames === 0 && code !== 0) return { reason: `FFmpeg could not read ${input}: ${tail.trim() || `exit ${code}`}` };
    if (frames === 0) return { reason: `no frame within ${FEED_FIRST_FRAME_TIMEOUT_MS / 1000} s` };
    return { reason: code === 0 ? 'the stream ended' : `FFmpeg stopped (exit ${code})` };
  })();
  return {
    ended,
    inputSize: () => size,
    write(chunk) {
      if (!piped || exited || stopped) return;
      try {
        proc.stdin?.write(chunk);
        const flushed = proc.stdin?.flush();
        if (flushed instanceof Promise) flushed.catch(() => {}); // FFmpeg gone meanwhile: `ended` says why
      } catch {
        // FFmpeg is gone: `ended` says why
      }
    },
    stop() {
      stopped = true;
      proc.kill();
    },
  };
}
