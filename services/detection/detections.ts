/**
 * The detection service (docs/detection.md): a channel's setting (held by its detector actor), the detector's
 * effects (a run: Snapshot RPC → the runtime → a `detections` row, answered to the actor; the continuous feed), and
 * the listing. When to run is the detector machine's decision (actors/machines/detector.machine.ts).
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { ActorHost } from '../../actors/host/host.ts';
import { ActorExistsError } from '../../actors/host/errors.ts';
import type { DetectorEffectCall, DetectorEffectHandlers } from '../../actors/machines/detector.effects.ts';
import type { DetectConfig, DetectorContext, PictureSource } from '../../actors/machines/detector.types.ts';
import { DETECT_DEFAULTS } from '../../actors/machines/detector.machine.ts';
import { detectorActorId } from '../../actors/machines/ids.ts';
import type { Db } from '../../db/client.ts';
import { actors, detections } from '../../db/schema.ts';
import type { Logger } from '../../lib/log.ts';
import { type ClassOrGroup, expandClasses } from '../../protocol/coco-classes.ts';
import type { DetectionBody, DetectionsQuery } from '../../protocol/detection-api.ts';
import type { Devices } from '../devices/devices.ts';
import type { RpcService } from '../devices/rpc.ts';
import { DomainError } from '../errors.ts';
import type { DetectionRuntime } from './runtime.ts';
import { ContinuousFeeds } from './feed.ts';
import type { LiveService } from '../live/live.ts';
import { liveFrame, runningStream } from '../live/live-frame.ts';
import type { Uploads } from '../uploads/uploads.ts';
import { drawBoxes } from './boxes-picture.ts';
import { ofInterest } from './zones.ts';
import { type DetectionPage, deleteDeviceDetections, listDetections, pruneDetections } from './detection-list.ts';
import type { Principal } from '../users/principal.ts';

/** The machine type of the detector actor. */
export const DETECTOR_MACHINE_TYPE = 'detector';
/** Who the detector's Snapshot calls are sent as (the pu's history shows it). */
const DETECTOR_CALLER = { name: 'detector', admin: true };
/** How long a snapshot's upload may lag its answer (a camera may answer first), and how often it is looked for. */
export const SNAPSHOT_UPLOAD_WAIT_MS = 5_000;
const SNAPSHOT_POLL_MS = 100;
/** Milliseconds per second. */
const MS_PER_S = 1000;

/** What the service uses. */
export interface DetectionDeps {
  db: Db;
  host: Pick<ActorHost, 'dispatch' | 'create' | 'get' | 'send'>;
  rpc: Pick<RpcService, 'call'>;
  devices: Pick<Devices, 'snapshotFile'>;
  /** The channel's open record session, to link the event to the recording at that time. */
  recording: { openSession(deviceId: string, channel: number): Promise<{ id: string } | undefined> };
  log: Logger;
  /** This node's live streams: a continuous detector watches its channel's (services/detection/feed.ts). */
  live: Pick<LiveService, 'join' | 'mdu' | 'ranHere'>;
  /** Where the pictures the platform takes itself (live frames) are kept as snapshots. */
  pictures: Pick<Uploads, 'storePicture'>;
  /** The runtime, started on first use (its workers load the model then). */
  runtime: () => Promise<DetectionRuntime>;
}

/** A picture to detect in, kept as one of the device's snapshots, and where it came from. */
interface Picture {
  snapshotId: string;
  bytes: Uint8Array;
  source: PictureSource;
}

const toConfig = (b: DetectionBody): DetectConfig => ({ mode: b.mode, classes: b.classes, minScore: b.min_score, zones: b.zones, fps: b.fps });

/** A channel's setting and its detector's state, as the API shows them. */
function view(ctx: DetectorContext | undefined, state: string) {
  const c = ctx?.config ?? DETECT_DEFAULTS;
  return {
    mode: c.mode,
    classes: c.classes,
    min_score: c.minScore,
    zones: c.zones,
    fps: c.fps,
    state,
    reason: ctx?.reason ?? 'never set',
    failure: ctx?.failure?.reason ?? null,
    set_by: ctx?.setBy ?? null,
  };
}

/** Settings, runs and the listing of detections. */
export class DetectionService {
  /** The continuous feeds this node runs. */
  readonly feeds: ContinuousFeeds;

  constructor(private p: DetectionDeps) {
    this.feeds = new ContinuousFeeds(p);
  }

  /** At start: the previous run's open presences are closed and continuous detectors start their feeds again. */
  sweepStale(nodeId: string): Promise<void> {
    return this.feeds.sweepStale(nodeId);
  }

  /** A channel's setting (off when it never had one). */
  async setting(deviceId: string, channel: number) {
    const v = await this.p.host.get(detectorActorId(deviceId, channel));
    return view(v?.context as unknown as DetectorContext | undefined, v?.stateKey ?? 'off');
  }

  /** Set it: the channel's detector takes it (made on first use; its history says who and when). */
  async configure(deviceId: string, channel: number, body: DetectionBody, by: string) {
    const id = detectorActorId(deviceId, channel);
    const event = { type: 'detect.configure', config: toConfig(body), by };
    if (!(await this.p.host.get(id))) {
      try {
        await this.p.host.create(DETECTOR_MACHINE_TYPE, id, { deviceId, channel }, { deviceId });
      } catch (err) {
        if (!(err instanceof ActorExistsError)) throw err; // made meanwhile by another request: configure it
      }
    }
    const r = await this.p.host.dispatch(id, event);
    if (!r.accepted) throw new DomainError('conflict', `the detector did not take the setting (state ${r.stateKey})`);
    // Load the model now, not at the first alarm: its load would count against that run's DETECT_TIMEOUT_MS.
    if (body.mode !== 'off') this.p.runtime().catch((err) => this.p.log.warn({ err: String(err) }, 'the detection runtime did not start'));
    return view(r.context as unknown as DetectorContext, r.stateKey);
  }

  /** The detector's effects. */
  effects(): DetectorEffectHandlers {
    return {
      'detect.run': (call) => this.run(call),
      'detect.feed': (call) => this.feeds.feed(call),
    };
  }

  /** One run: a snapshot, the model, a row (kept with no classes when nothing of interest), the result to the actor. */
  private async run(call: DetectorEffectCall<'detect.run'>): Promise<void> {
    const { deviceId, channel, attempt, alarmId, classes, minScore, zones } = call.params;
    const answer = (r: Record<string, unknown>) => this.p.host.send(call.actorId, { type: 'detect.result', attempt, ...r });
    try {
      const { snapshotId, bytes, source } = (await this.fromLive(deviceId, channel)) ?? (await this.snapshot(deviceId, channel));
      // the session open when the picture was taken (a slow run may end after it stopped), else the one open when the
      // run ends (the session the same alarm starts may open a moment after the picture)
      const before = await this.p.recording.openSession(deviceId, channel);
      const rt = await this.p.runtime();
      const out = await rt.submit(`${deviceId}:${channel}`, { kind: 'jpeg', bytes }, minScore);
      if (!out.ok) return answer({ ok: false, reason: `${out.reason}: ${out.detail}` });
      const wanted = ofInterest(out.detections, expandClasses(classes as ClassOrGroup[]), zones, out.width, out.height);
      const found = [...new Set(wanted.map((d) => d.class))];
      const recording = before ?? (await this.p.recording.openSession(deviceId, channel));
      const id = randomUUID();
      const topScore = Math.max(0, ...wanted.map((d) => d.score));
      await this.p.db.orm.insert(detections).values({
        id,
        deviceId,
        channel,
        at: new Date(),
        alarmId: alarmId ?? null,
        snapshotId,
        recordingId: recording?.id ?? null,
        classes: found,
        topScore,
        objects: wanted,
        width: out.width,
        height: out.height,
      });
      answer({ ok: true, eventId: id, classes: found, topScore, picture: true, source, ...(alarmId ? { alarmId } : {}) });
    } catch (err) {
      answer({ ok: false, reason: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * The channel's picture now from its live stream, when one runs on this node (services/live/live-frame.ts), kept as
   * a snapshot; undefined when none runs or no picture came in time (then the camera is asked: {@link snapshot}).
   */
  private async fromLive(deviceId: string, channel: number): Promise<Picture | undefined> {
    const streamId = await runningStream(this.p.host, this.p.live, deviceId, channel);
    if (!streamId) return undefined;
    try {
      const bytes = await liveFrame(this.p.live.mdu, streamId);
      const snapshotId = await this.p.pictures.storePicture(deviceId, channel, bytes);
      return { snapshotId, bytes, source: 'live' };
    } catch (err) {
      this.p.log.warn({ device: deviceId, channel, stream: streamId, err: String(err) }, 'no picture from the live stream: asking the camera');
      return undefined;
    }
  }

  /** The channel's picture now: the Snapshot RPC (I.2.17), then its uploaded file. */
  private async snapshot(deviceId: string, channel: number): Promise<Picture> {
    const r = await this.p.rpc.call(deviceId, { req: 'Snapshot', params: { channel } }, DETECTOR_CALLER);
    if (!r.answer.ok) throw new Error(`Snapshot failed: ${r.answer.msg}`);
    const snapshotId = String(r.extra.snapshot_id);
    const until = Date.now() + SNAPSHOT_UPLOAD_WAIT_MS;
    for (;;) {
      try {
        const path = await this.p.devices.snapshotFile(deviceId, snapshotId);
        return { snapshotId, bytes: new Uint8Array(await Bun.file(path).arrayBuffer()), source: 'snapshot' };
      } catch (err) {
        if (!(err instanceof DomainError) || Date.now() > until)
          throw new Error(`the snapshot was not uploaded within ${SNAPSHOT_UPLOAD_WAIT_MS / MS_PER_S} s`);
        await Bun.sleep(SNAPSHOT_POLL_MS);
      }
    }
  }

  /** A detection event's device (to check the caller may see it); undefined when there is no such event. */
  async deviceOf(id: string): Promise<string | undefined> {
    const [d] = await this.p.db.orm.select({ deviceId: detections.deviceId }).from(detections).where(eq(detections.id, id));
    return d?.deviceId;
  }

  /** A detection event's picture with its boxes drawn (JPEG). */
  async picture(id: string): Promise<Uint8Array> {
    const [d] = await this.p.db.orm.select().from(detections).where(eq(detections.id, id));
    if (!d?.snapshotId) throw new DomainError('not-found', 'no such detection, or it has no picture');
    const path = await this.p.devices.snapshotFile(d.deviceId, d.snapshotId);
    return drawBoxes(new Uint8Array(await Bun.file(path).arrayBuffer()), d.objects, d.width, d.height);
  }

  /**
   * A deprovisioned device: each of its detectors goes to `deprovisioned` (off, the pu told), its detection events
   * are deleted (a batch at a time). Returns the rows deleted.
   */
  async forgetDevice(deviceId: string): Promise<number> {
    const ids = await this.p.db.orm
      .select({ id: actors.id })
      .from(actors)
      .where(and(eq(actors.type, DETECTOR_MACHINE_TYPE), eq(actors.deviceId, deviceId)));
    for (const { id } of ids) await this.p.host.dispatch(id, { type: 'device.deprovisioned' });
    return deleteDeviceDetections(this.p.db, deviceId);
  }

  /** Delete detection events older than `cutoffMs` (DETECTIONS_RETENTION_DAYS). */
  prune(cutoffMs: number): Promise<number> {
    return pruneDetections(this.p.db, cutoffMs);
  }

  /** The detection events of the cameras `who` may see, filtered, one page (detection-list.ts). */
  list(who: Principal, q: DetectionsQuery): Promise<DetectionPage> {
    return listDetections(this.p.db, who, q);
  }
}
