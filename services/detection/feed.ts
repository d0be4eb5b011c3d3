/**
 * Continuous mode (docs/detection.md): the `detect.feed` effect. While a detector is armed in continuous mode, the
 * platform watches the channel's live stream as its own viewer (services/live/platform-viewer.ts: the stream the
 * users share, one pull from the camera), FFmpeg decodes it at the setting's frames/s (ffmpeg-frames.ts), each frame
 * goes to the runtime under the node's budget (dropped, oldest first, when the node is behind), and `Presence` merges
 * the frames into presences: one `detections` row per presence (`at` its start, `ended_at` its end), and the
 * detector actor told of each start and end (`detect.presence`), not of each frame.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { ActorHost } from '../../actors/host/host.ts';
import type { DetectorEffectCall } from '../../actors/machines/detector.effects.ts';
import type { Db } from '../../db/client.ts';
import { detections } from '../../db/schema.ts';
import type { Logger } from '../../lib/log.ts';
import { type ClassOrGroup, expandClasses } from '../../protocol/coco-classes.ts';
import type { LiveService } from '../live/live.ts';
import { type PlatformViewer, watchAsPlatform } from '../live/platform-viewer.ts';
import sharp from 'sharp';
import type { Uploads } from '../uploads/uploads.ts';
import { FEED_STDIN, type FrameFeed, type PictureSize, startFrameFeed } from './ffmpeg-frames.ts';
import { PICTURE_MAX_SIDE_PX } from './frames.ts';
import { MODEL_INPUT_PX } from './model.ts';
import { Presence, type PresenceChange } from './presence.ts';
import type { DetectionRuntime } from './runtime.ts';
import { ofInterest } from './zones.ts';

/** Who the feed watches the live stream as (the stream's viewers list shows it). */
export const FEED_VIEWER = 'platform:detector';
/** How often open presences are checked for their end when frames stop coming (the camera went quiet). */
export const PRESENCE_TICK_MS = 1000;
/** JPEG quality of a presence's picture (the frame that started it, at the stream's size). */
const PRESENCE_JPEG_QUALITY = 85;
/** Bytes per pixel of the frames FFmpeg gives (rgb24). */
const RGB_CHANNELS = 3;

/** The size the frames' boxes are given in: the stream's when FFmpeg named a sane one, else the model's square. */
function pictureSize(input: PictureSize | undefined): PictureSize {
  const sane = input && input.width <= PICTURE_MAX_SIDE_PX && input.height <= PICTURE_MAX_SIDE_PX && input.width > 0 && input.height > 0;
  return sane ? input : { width: MODEL_INPUT_PX, height: MODEL_INPUT_PX };
}

/** What the feeds use. */
export interface FeedDeps {
  db: Db;
  host: Pick<ActorHost, 'send'>;
  /** The live service of this node (its MDU holds the streams of the devices this node serves). */
  live: Pick<LiveService, 'join' | 'mdu'>;
  runtime: () => Promise<DetectionRuntime>;
  /** Where a presence's picture is kept (as a snapshot of the device). */
  pictures: Pick<Uploads, 'storePicture'>;
  recording: { openSession(deviceId: string, channel: number): Promise<{ id: string } | undefined> };
  log: Logger;
}

interface Running {
  stop(): void;
}

/** The continuous feeds of the detectors this node runs, by detector actor id. */
export class ContinuousFeeds {
  private running = new Map<string, Running>();

  constructor(private p: FeedDeps) {}

  /** Feeds running now. */
  get size(): number {
    return this.running.size;
  }

  /** The `detect.feed` effect: start (or stop) the detector's feed; a feed that cannot run or ends answers `detect.feed.failed`. */
  async feed(call: DetectorEffectCall<'detect.feed'>): Promise<void> {
    const { deviceId, channel, on, fps } = call.params;
    this.running.get(call.actorId)?.stop();
    this.running.delete(call.actorId);
    if (!on) return;
    const failed = (reason: string) => this.p.host.send(call.actorId, { type: 'detect.feed.failed', reason });
    const feed = new ChannelFeed(this.p, call.actorId, deviceId, channel, call.context.config, (reason) => {
      if (this.running.get(call.actorId) !== feed) return;
      this.running.delete(call.actorId);
      failed(reason);
    });
    this.running.set(call.actorId, feed);
    try {
      await feed.start(fps);
    } catch (err) {
      feed.end(err instanceof Error ? err.message : String(err));
    }
  }

  /** Stop every feed (the node stops); their open presences are closed. */
  stopAll(): void {
    for (const f of this.running.values()) f.stop();
    this.running.clear();
  }

  /**
   * At start: presences left open by this node's previous run are closed (their end is unknown: `ended_at` is set to
   * their start), and this node's continuous detectors are told to start their feeds again.
   */
  async sweepStale(nodeId: string): Promise<void> {
    const mine = await this.p.db.rows<{ id: string; device_id: string }>(sql`SELECT id, device_id FROM actors
      WHERE type = 'detector' AND status = 'active' AND (owner_node IS NULL OR owner_node = ${nodeId})`);
    for (const a of mine) {
      await this.p.db.orm
        .update(detections)
        .set({ endedAt: detections.at })
        .where(and(eq(detections.deviceId, a.device_id), isNull(detections.alarmId), isNull(detections.endedAt)));
      this.p.host.send(a.id, { type: 'platform.restarted' });
    }
  }
}

/** One channel's feed: its platform viewer, its FFmpeg, its presences. */
class ChannelFeed implements Running {
  private viewer?: PlatformViewer;
  private ffmpeg?: FrameFeed;
  private tick?: ReturnType<typeof setInterval>;
  private stopped = false;
  private presence = new Presence();
  /** Open presences' rows by class. */
  private rows = new Map<string, string>();
  /** Row writes in order (a start's insert before its end's update). */
  private writes: Promise<unknown> = Promise.resolve();
  private readonly classes: ReadonlySet<string>;
  /** When the frames still in the runtime were taken (their results may come in any order). */
  private inFlight = new Set<number>();

  constructor(
    private p: FeedDeps,
    private actorId: string,
    private deviceId: string,
    private channel: number,
    private setting: DetectorEffectCall<'detect.feed'>['context']['config'],
    private onFail: (reason: string) => void,
  ) {
    this.classes = expandClasses(setting.classes as ClassOrGroup[]);
  }

  async start(fps: number): Promise<void> {
    const rt = await this.p.runtime();
    if (this.stopped) return;
    const source = `${this.deviceId}:${this.channel}`;
    this.ffmpeg = startFrameFeed(FEED_STDIN, fps, (rgb) => {
      const at = Date.now();
      // boxes come back in the stream's pixels (the model's square until FFmpeg has named the stream's size)
      const size = pictureSize(this.ffmpeg?.inputSize());
      const frame = { kind: 'rgb', bytes: rgb, ...size } as const;
      this.inFlight.add(at);
      void rt.submit(source, frame, this.setting.minScore).then((out) => {
        this.inFlight.delete(at);
        if (!out.ok || this.stopped) return; // dropped (the node is behind) or failed: counted in /metrics
        const wanted = ofInterest(out.detections, this.classes, this.setting.zones, out.width, out.height);
        const best = new Map<string, number>();
        for (const d of wanted) best.set(d.class, Math.max(best.get(d.class) ?? 0, d.score));
        this.apply(this.presence.frame(at, best), wanted, out.width, out.height, rgb);
      });
    });
    void this.ffmpeg.ended.then(({ reason }) => this.end(`FFmpeg: ${reason}`));
    const viewer = await watchAsPlatform(
      this.p.live,
      this.p.host,
      { deviceId: this.deviceId, channel: this.channel, by: FEED_VIEWER },
      (chunk) => this.ffmpeg?.write(chunk),
      (reason) => this.end(reason),
    );
    if (this.stopped) return viewer.leave('the detector stopped watching');
    this.viewer = viewer;
    // a presence ends by the clock when frames stop coming, but not before the frames still being detected are in
    this.tick = setInterval(() => this.apply(this.presence.expire(Math.min(Date.now(), ...this.inFlight)), [], 0, 0), PRESENCE_TICK_MS);
  }

  /** The detector left continuous mode: leave the stream, stop FFmpeg, close the open presences. */
  stop(reason = 'the detector stopped watching'): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.tick);
    this.viewer?.leave(reason);
    this.ffmpeg?.stop();
    this.apply(this.presence.close(), [], 0, 0);
  }

  /** The feed ended by itself (the stream failed or stopped, FFmpeg failed): stop, and fail the detector with why. */
  end(reason: string): void {
    if (this.stopped) return;
    this.stop(reason);
    this.onFail(reason);
  }

  /**
   * Presences that started get a row (with the picture of the frame that started them, `rgb`), those that ended
   * their end; the actor hears of both.
   */
  private apply(changes: PresenceChange[], boxes: ReturnType<typeof ofInterest>, width: number, height: number, rgb?: Uint8Array): void {
    let picture: Promise<string | null> | undefined;
    for (const c of changes) {
      if (c.kind === 'start') {
        const id = randomUUID();
        this.rows.set(c.class, id);
        // one picture for the classes a frame started (taken at once: the frame is not kept)
        picture ??= rgb ? this.picture(rgb, width, height) : Promise.resolve(null);
        const snapshot = picture;
        this.write(async () => {
          const recording = await this.p.recording.openSession(this.deviceId, this.channel);
          const snapshotId = await snapshot;
          const objects = boxes.filter((b) => b.class === c.class);
          await this.p.db.orm.insert(detections).values({
            id,
            deviceId: this.deviceId,
            channel: this.channel,
            at: new Date(c.at),
            snapshotId,
            recordingId: recording?.id ?? null,
            classes: [c.class],
            topScore: c.score,
            objects,
            width,
            height,
          });
          this.p.host.send(this.actorId, { type: 'detect.presence', kind: 'start', class: c.class, eventId: id, score: c.score });
        });
        continue;
      }
      const id = this.rows.get(c.class);
      this.rows.delete(c.class);
      if (!id) continue;
      this.write(async () => {
        await this.p.db.orm
          .update(detections)
          .set({ endedAt: new Date(c.to), topScore: c.bestScore })
          .where(eq(detections.id, id));
        this.p.host.send(this.actorId, { type: 'detect.presence', kind: 'end', class: c.class, eventId: id, score: c.bestScore });
      });
    }
  }

  /** The frame as a JPEG at the stream's size, kept as a snapshot of the device; null (logged) when that failed. */
  private async picture(rgb: Uint8Array, width: number, height: number): Promise<string | null> {
    try {
      const jpeg = await sharp(rgb, { raw: { width: MODEL_INPUT_PX, height: MODEL_INPUT_PX, channels: RGB_CHANNELS } })
        .resize(width, height, { fit: 'fill' })
        .jpeg({ quality: PRESENCE_JPEG_QUALITY })
        .toBuffer();
      return await this.p.pictures.storePicture(this.deviceId, this.channel, new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength));
    } catch (err) {
      this.p.log.warn({ err: String(err), actor: this.actorId }, 'the picture of a presence was not kept');
      return null;
    }
  }

  private write(fn: () => Promise<void>): void {
    this.writes = this.writes.then(fn).catch((err: unknown) => this.p.log.error({ err: String(err), actor: this.actorId }, 'detection presence not recorded'));
  }
}
