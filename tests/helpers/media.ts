/**
 * What a viewer gets, checked with FFmpeg (as tests/e2e/live.test.ts and tests/recording do): live video pulled over
 * SRT or WSS, and a recorded range played back through its HLS playlist.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '../recording/helpers.ts';
import type { TestPlatform } from './platform.ts';

/** MPEG-TS packet size: a WSS viewer receives whole packets. */
export const TS_PACKET_BYTES = 188;
/** Longest an SRT pull may run over its own length (the connection, the first key frame) before it is given up. */
const PULL_SLACK_MS = 20_000;

/** A watch answer (`POST /api/devices/:id/channels/:ch/live`). */
export interface LiveTicket {
  stream_id: string;
  viewer_id: string;
  srt_url: string;
  ws_url: string;
}

/** Pull `seconds` of `srtUrl` with FFmpeg; the video frames it decoded (0 when it got nothing). */
export async function srtFrames(srtUrl: string, seconds: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'h627-pull-'));
  try {
    const out = join(dir, 'pull.ts');
    const ff = Bun.spawn(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y', '-i', srtUrl, '-t', String(seconds), '-c', 'copy', '-f', 'mpegts', out], {
      stderr: 'pipe',
    });
    const timer = setTimeout(() => ff.kill('SIGKILL'), seconds * 1000 + PULL_SLACK_MS);
    const code = await ff.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`ffmpeg pull of ${srtUrl} failed (${code}): ${await new Response(ff.stderr).text()}`);
    const d = await decode(out);
    return d.frames;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Receive MPEG-TS over WSS until `packets` packets arrived; resolves with the bytes. */
export async function wsPackets(wsUrl: string, packets: number): Promise<Uint8Array> {
  const ws = new WebSocket(wsUrl, { tls: { rejectUnauthorized: false } } as never);
  ws.binaryType = 'arraybuffer';
  const chunks: Uint8Array[] = [];
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    ws.onmessage = (m) => {
      const c = new Uint8Array(m.data as ArrayBuffer);
      chunks.push(c);
      n += c.byteLength;
      if (n >= packets * TS_PACKET_BYTES) resolve();
    };
    ws.onerror = () => reject(new Error(`wss viewer of ${wsUrl} failed`));
    ws.onclose = (e) => (n >= packets * TS_PACKET_BYTES ? resolve() : reject(new Error(`wss closed early: ${e.code} ${e.reason}`)));
  });
  ws.close();
  return Buffer.concat(chunks);
}

/**
 * Play `[from, to]` of a device's channel 0 through `node` (its HLS playlist, decoded by FFmpeg over the signed
 * segment URLs): the frames and errors FFmpeg reports.
 */
export async function playRange(node: TestPlatform, token: string, deviceId: string, from: number, to: number): Promise<{ frames: number; errors: string[] }> {
  const r = await node.api(`/api/devices/${deviceId}/channels/0/playback.m3u8?from=${from}&to=${to}`, { token });
  if (r.status !== 200) throw new Error(`playback of ${deviceId} [${from}, ${to}] answered ${r.status}: ${await r.text()}`);
  const dir = mkdtempSync(join(tmpdir(), 'h627-play-'));
  try {
    const file = join(dir, 'play.m3u8');
    writeFileSync(file, await r.text());
    const d = await decode(file, ['-protocol_whitelist', 'file,https,tls,tcp,crypto']);
    return { frames: d.frames, errors: d.code === 0 ? d.errors : [...d.errors, `ffmpeg exited ${d.code}`] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
