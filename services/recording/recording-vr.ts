/**
 * Vr, the recording interface (H.627.2 9.3.4, I.3; NOTES 14–16), and the CS's receiving side:
 * the operations of `POST /live/cseg/<channelID>` and `PUT /cs/up/…`. Every failure is a
 * {@link VrError} whose message names the problem; routes/vr.routes.ts renders it as `{"info"}`.
 *
 * The cycle a PU runs per segment (9.3.4.1): create (+ the previous segment's confirmation) →
 * PUT → create (+ confirmation) …; a cycle costs three actor events (the new segment's creation,
 * its `uploaded`, the previous one's confirmation) and one playback-index row, all group-committed
 * with whatever else is in flight; an answer that promises durability waits for its commits.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { safeSegment } from '../../lib/safe-path.ts';
import { KeyedBuckets, type Budget } from '../../lib/token-bucket.ts';
import { recordingStats } from '../../db/schema.ts';
import { segmentActorId, type SegmentContext, type SegmentInput } from '../../actors/machines/segment.machine.ts';
import { type VrAnswer, vrAnswer } from '../../actors/machines/segment.vr.ts';
import type { ActorView } from '../../actors/host/host.ts';
import { vrCreateResp, type VrCreate, type VrCreateResp, type VrCurrentTimeResp, type VrOp, type VrRequest, type VrStat } from '../../protocol/vr.ts';
import { MissingObjectError, type ObjectHead, SizeMismatchError } from '../../media/cs/index.ts';
import type { RecordingDeps, RecordingService } from './recording.ts';
import type { SessionInfo } from './recording-session.ts';
import { confirmTtlMs, STOPPED_SESSION_GRACE_S, uploadWaitMs } from './recording-config.ts';
import { checkSegmentUrl, segmentStem, signedSegmentUrl, urlExpiryS } from './recording-urls.ts';
import { reconcile, type ReconcileOptions, type ReconcileReport } from './recording-reconcile.ts';

/** A Vr or CS refusal: an HTTP status and the `info` text naming the problem. */
export class VrError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 410 | 413 | 429 | 500 | 503,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'VrError';
  }
}

/** Seconds a PU is told to wait (Retry-After) when the storage cannot be reached: about a segment's upload retry. */
export const STORAGE_RETRY_AFTER_S = 5;

/** The answer when the storage failed (down, unreachable, an I/O error): 503, the PU tries again (9.3.4.1.2). */
function storageDown(name: string, err: unknown): VrError {
  const why = err instanceof Error ? err.message : String(err);
  return new VrError(503, `segment ${name}: the storage cannot be reached (${why.slice(0, STORAGE_ERROR_MAX_CHARS)}); try again`, STORAGE_RETRY_AFTER_S);
}
/** Characters of the storage's error kept in an answer. */
const STORAGE_ERROR_MAX_CHARS = 120;

/**
 * Vr requests per record session: 200 at once, 5 a second after that (platform's choice). A channel makes about one
 * request per segment (create, carrying the previous one's confirmation; segments last 1 s or more), and a camera
 * back from a network outage uploads the segments it cached (StartRecord's seg_max_count, at most 100) at once.
 */
export const VR_SESSION_BUDGET: Budget = { ratePerS: 5, burst: 200 };

/** Latest segment start accepted, ms since the epoch (16 digits in a name: the year 318857). */
const MAX_START_MS = 1e16;
/** Random characters after a segment name's start time (base36: 36^6 ≈ 2·10^9 per millisecond). */
const NAME_SUFFIX_CHARS = 6;

/** The Vr operations and uploads of every record session. */
export class VrService {
  /** Segments whose upload is streaming now: a second PUT to the same URL meanwhile is refused. */
  private uploading = new Set<string>();
  /** The warning that the bucket keeps no versions was logged (once a process). */
  private unversionedSaid = false;
  /** Each session's Vr request budget. */
  private budgets = new KeyedBuckets(VR_SESSION_BUDGET);

  /** Uploads streaming now (a node's load, docs/cluster.md). */
  get uploadsInFlight(): number {
    return this.uploading.size;
  }

  constructor(
    private p: Pick<RecordingDeps, 'db' | 'host' | 'key' | 'deviceBaseUrl'>,
    private rec: RecordingService,
  ) {}

  /** The session a request is for, checked: known channel id, a running (or just stopped) session, the right device. */
  async authorize(token: string, macIdentity: string | undefined): Promise<SessionInfo> {
    const s = await this.rec.session(token);
    if (!s) throw new VrError(404, `unknown channel id ${token}`);
    if (!macIdentity) throw new VrError(400, "Mac-Identity: required (the PU's MAC address or device id)");
    if (!this.rec.isDevice(s, macIdentity)) throw new VrError(403, 'Mac-Identity: does not match the device of this channel');
    if (s.stoppedAt !== null && Date.now() - s.stoppedAt > STOPPED_SESSION_GRACE_S * 1000) {
      throw new VrError(410, `record session ${s.sessionId} stopped at ${new Date(s.stoppedAt).toISOString()}`);
    }
    const budget = this.budgets.of(s.sessionId);
    if (!budget.take()) {
      const wait = Math.max(1, Math.ceil(budget.waitMs() / 1000));
      throw new VrError(429, `too many Vr requests on this channel: retry in ${wait} s`, wait);
    }
    return s;
  }

  /** What each operation does (I.3.1–I.3.5): a table, one line per op. */
  private readonly ops: { [Op in VrOp]: (s: SessionInfo, req: Extract<VrRequest, { op: Op }>) => Promise<object> | object } = {
    create: (s, req) => this.create(s, req),
    save: (s, req) => this.save(s, req.name).then(() => ({})),
    fail: (s, req) => this.fail(s, req.name).then(() => ({})),
    getcurrenttime: (): VrCurrentTimeResp => ({ currenttime: Date.now() / 1000 }),
    stat: (s, req) => this.stat(s, req).then(() => ({})),
  };

  /** Run one Vr request (already parsed) for a session; resolves with the answer's body. */
  async run(s: SessionInfo, req: VrRequest): Promise<object> {
    return (this.ops[req.op] as (s: SessionInfo, req: VrRequest) => Promise<object> | object)(s, req);
  }

  /**
   * `op=create` (I.3.1): a new segment and its single-use upload URL. With `name=` the previous
   * segment is confirmed in the same step (9.3.4.1.3, NOTES 15): both are checked first and
   * either refusal refuses the request before anything changes; then the new segment actor and
   * the confirmation are written side by side (group-committed with whatever else is in flight),
   * and the answer waits for both.
   */
  async create(s: SessionInfo, req: VrCreate): Promise<VrCreateResp> {
    if (req.size > s.params.seg_max_size) throw new VrError(413, `size: ${req.size} bytes is over seg_max_size (${s.params.seg_max_size})`);
    const prevId = req.name !== undefined ? this.segmentId(s, req.name) : undefined;
    const prev = prevId !== undefined ? await this.confirmable(prevId, req.name!) : undefined;
    const startMs = Math.round(req.start * 1000);
    if (!(startMs < MAX_START_MS)) throw new VrError(400, `start: ${req.start} is not a time (seconds since the epoch)`);
    const stem = `${startMs}-${randomSuffix()}`;
    const name = `${stem}.ts`;
    const id = segmentActorId(s.sessionId, stem);
    const now = Date.now();
    const input: SegmentInput = {
      recordingId: s.recordingId,
      sessionId: s.sessionId,
      deviceId: s.deviceId,
      channel: s.channel,
      name,
      key: storageKey(s, startMs, name),
      start: req.start,
      duration: req.duration,
      size: req.size,
      discontinuity: req.discontinue === 1,
      createdAt: now,
      uploadTtlMs: uploadWaitMs(this.rec.cfg),
      confirmTtlMs: confirmTtlMs(this.rec.cfg, s.params.seg_duration),
      retentionMs: s.retentionMs,
    };
    const made = this.p.host.create('segment', id, input as unknown as Record<string, unknown>, { deviceId: s.deviceId, parentId: s.recordingId, fresh: true });
    const confirmed = prev ? this.confirm(prev, req.name!) : undefined;
    const [m, c] = await Promise.allSettled([made, confirmed]);
    if (c.status === 'rejected') {
      // The previous segment changed state meanwhile: refuse the whole request, and drop the new segment.
      if (m.status === 'fulfilled') this.p.host.send(id, { type: 'segment.fail', reason: 'its create was refused' });
      throw c.reason;
    }
    if (m.status === 'rejected') throw m.reason;
    const ttlS = this.rec.cfg.uploadTtlMs / 1000;
    // A store cameras reach (S3): they PUT straight to it, through a URL bound to the declared size.
    const direct = this.rec.storage.direct;
    if (direct) return vrCreateResp(name, direct.putUrl(input.key, req.size, ttlS));
    return vrCreateResp(
      name,
      signedSegmentUrl(this.p.key, await this.p.deviceBaseUrl(s.deviceId, req.https === 1), 'put', s.sessionId, name, urlExpiryS(now, ttlS)),
    );
  }

  /** `op=save` (I.3.2): confirm an uploaded segment; a confirmed one is confirmed already (idempotent). */
  async save(s: SessionInfo, name: string): Promise<void> {
    const id = this.segmentId(s, name);
    const v = await this.confirmable(id, name);
    if (v) await this.confirm(v, name);
  }

  /** `op=fail` (I.3.3, 9.3.4.1.2): the PU gave up on a segment: remove its bytes and rows. */
  async fail(s: SessionInfo, name: string): Promise<void> {
    const id = this.segmentId(s, name);
    // Whether it can be cancelled, is cancelled already, or is refused: the segment machine says (its `meta.vr`).
    if (refused(vrAnswer(await this.segment(id, name), 'fail')).kind === 'already') return;
    const r = await this.p.host.dispatch(id, { type: 'segment.fail' });
    // Refused: it changed state meanwhile (confirmed, or removed); ask again in the state it is in now.
    if (!r.accepted && refused(vrAnswer(r, 'fail')).kind === 'accept') throw new VrError(409, `segment ${name} is ${r.stateKey}`);
  }

  /** `op=stat` (I.3.5): dropped segments and seconds, stored as reported. */
  async stat(s: SessionInfo, req: VrStat): Promise<void> {
    await this.p.db.orm.insert(recordingStats).values({
      id: randomUUID(),
      recordingId: s.recordingId,
      deviceId: s.deviceId,
      channel: s.channel,
      droppedNb: req.dropped_nb,
      droppedTime: req.dropped_time,
    });
  }

  /**
   * `PUT /cs/up/<session>/<name>?e=&s=`: stream a segment's bytes into storage. The URL must be
   * signed and unexpired, the segment waiting for its bytes, and the body exactly its declared
   * size. Answers after the segment's `uploaded` state has committed.
   */
  async upload(
    sessionId: string,
    name: string,
    e: string | undefined,
    sig: string | undefined,
    contentLength: number | undefined,
    body: AsyncIterable<Uint8Array> | null,
  ): Promise<{ size: number }> {
    const check = checkSegmentUrl(this.p.key, 'put', sessionId, name, e, sig, Date.now() / 1000);
    if (check === 'forged') throw new VrError(403, 'this upload URL is not one the platform issued');
    if (check === 'expired') throw new VrError(410, 'this upload URL has expired');
    const stem = segmentStem(name);
    if (!stem) throw new VrError(404, `unknown segment ${name}`);
    const id = segmentActorId(sessionId, stem);
    const v = await this.p.host.load(id);
    if (!v) throw new VrError(404, `unknown segment ${name}`);
    refused(vrAnswer(v, 'put')); // waiting for its bytes, or refused as the segment machine says (its `meta.vr`)
    const ctx = v.context as unknown as SegmentContext;
    if (contentLength !== undefined && contentLength !== ctx.size)
      throw new VrError(400, `Content-Length ${contentLength} is not the declared size of ${ctx.size} bytes`);
    if (this.uploading.has(id)) throw new VrError(409, `an upload of segment ${name} is in progress: an upload URL is single-use`);
    this.uploading.add(id);
    try {
      try {
        await this.rec.storage.put(ctx.key, body ?? emptyBody(), ctx.size);
      } catch (err) {
        if (err instanceof SizeMismatchError) throw new VrError(400, err.message);
        // Cancelled (op=fail) or expired while its bytes streamed in: its removal took the part file away.
        const now = this.p.host.peek(id) ?? (await this.p.host.get(id));
        if (now && now.stateKey !== 'created') throw new VrError(410, `segment ${name} was cancelled or expired while it uploaded (${now.stateKey})`);
        this.rec.log.error({ segment: id, err: String(err) }, 'segment could not be stored');
        throw new VrError(500, 'the segment could not be stored');
      }
      const r = await this.p.host.dispatch(id, { type: 'segment.uploaded', size: ctx.size });
      if (!r.accepted) {
        // It expired or was cancelled while the bytes streamed in: they must not stay.
        await this.rec.storage.remove(ctx.key);
        throw new VrError(410, `segment ${name} is ${r.stateKey}`);
      }
      return { size: ctx.size };
    } finally {
      this.uploading.delete(id);
    }
  }

  /** One bounded pass of a device's stored objects against its segments, and of its segments against the objects (recording-reconcile.ts). */
  reconcile(deviceId: string, opts: ReconcileOptions): Promise<ReconcileReport> {
    return reconcile({ storage: this.rec.storage, host: this.p.host, index: this.rec.index }, deviceId, opts);
  }

  /** The actor id of a segment name of this session; a name the platform never makes is unknown. */
  private segmentId(s: SessionInfo, name: string): string {
    const stem = segmentStem(name);
    if (!stem) throw new VrError(404, `unknown segment ${name}`);
    return segmentActorId(s.sessionId, stem);
  }

  private async segment(id: string, name: string): Promise<ActorView> {
    const v = await this.p.host.load(id);
    if (!v) throw new VrError(404, `unknown segment ${name}`);
    return v;
  }

  /** The segment, if it can be confirmed now; undefined if it is confirmed already; else the refusal. */
  private async confirmable(id: string, name: string): Promise<Confirmable | undefined> {
    const v = await this.segment(id, name);
    if (v.stateKey === 'created' && this.rec.storage.direct) {
      const stored = await this.storedDirect(v, name);
      if (stored !== undefined) return { v, stored };
    }
    return confirmableState(v) ? { v } : undefined;
  }

  /**
   * A segment the PU PUT straight to the store (S3): the platform saw no upload, so its confirmation first checks
   * the object (HEAD). There with the declared size: what the store holds (its size, and its version on a versioned
   * bucket, which the confirmation pins), and the confirmation takes the segment from `created` to `confirmed` in one
   * step (the machine's `foundInStore`). Not there: undefined (it stays `created`, and the confirmation is refused as
   * not uploaded). Another size: its bytes are removed and the segment cancelled (9.3.4.1.2: the platform cleans up
   * what is left of it).
   */
  private async storedDirect(v: ActorView, name: string): Promise<ObjectHead | undefined> {
    const ctx = v.context as unknown as SegmentContext;
    let found: ObjectHead | undefined;
    try {
      found = await this.rec.storage.head(ctx.key);
    } catch (err) {
      this.rec.log.warn({ segment: v.id, err: String(err) }, 'storage unreachable: confirmation refused for now');
      throw storageDown(name, err);
    }
    if (found === undefined) return undefined;
    if (found.size !== ctx.size) {
      // Its removal (the segment machine's, durable) takes the object away.
      this.p.host.send(v.id, { type: 'segment.fail', reason: `the store held ${found.size} of its ${ctx.size} bytes` });
      throw new VrError(400, `segment ${name}: the store holds ${found.size} bytes, not the declared ${ctx.size}; the segment is cancelled, create it again`);
    }
    if (found.version === undefined && !this.unversionedSaid) {
      this.unversionedSaid = true;
      this.rec.log.warn(
        { segment: v.id },
        'the bucket keeps no versions: an upload URL can replace a confirmed segment until it expires (turn versioning on: docs/recording.md)',
      );
    }
    return found;
  }

  /**
   * Confirm a segment: its bytes made durable (storage `sync`; a direct upload was just found whole in the store),
   * then its confirm event, answered once committed. The playback-index row is written by that same commit
   * (migrations/0005: a projection of the actor row's state), so a confirmed segment always has its row and a refused
   * confirmation (it expired at that very moment) leaves none.
   */
  private async confirm({ v, stored }: Confirmable, name: string): Promise<void> {
    const ctx = v.context as unknown as SegmentContext;
    if (ctx.size > 0 && stored === undefined) {
      // Its bytes are durable before its confirmation is (the upload answered before the flush).
      try {
        await this.rec.storage.sync(ctx.key, ctx.size);
      } catch (err) {
        if (err instanceof MissingObjectError) throw new VrError(410, `segment ${name}: ${err.message}; cancel it (op=fail) and create it again`);
        this.rec.log.error({ segment: v.id, err: String(err) }, 'segment could not be made durable');
        throw storageDown(name, err);
      }
    }
    const r = await this.p.host.dispatch(v.id, {
      type: 'segment.confirm',
      ...(stored !== undefined ? { storedSize: stored.size, ...(stored.version ? { storedVersion: stored.version } : {}) } : {}),
    });
    if (r.accepted || r.stateKey === 'confirmed') return;
    confirmableState(r);
  }
}

/** A segment that can be confirmed, and what the store holds of it when it was just checked there (S3). */
interface Confirmable {
  v: ActorView;
  stored?: ObjectHead;
}

/** True when the segment waits for its confirmation; false when confirmed already; a {@link VrError} otherwise. */
function confirmableState(v: Pick<ActorView, 'stateKey' | 'context'>): boolean {
  return refused(vrAnswer(v, 'save')).kind === 'accept';
}

/** The segment machine's answer, unless it is a refusal: then the {@link VrError} saying it. */
function refused<A extends VrAnswer>(a: A): Exclude<A, { kind: 'refuse' }> {
  if (a.kind === 'refuse') throw new VrError(a.status, a.message);
  return a as Exclude<A, { kind: 'refuse' }>;
}

/** Where a segment's bytes go: `<device>/<channel>/<UTC day of its start>/<session>_<name>`. */
function storageKey(s: SessionInfo, startMs: number, name: string): string {
  const day = new Date(Number.isFinite(startMs) && startMs < 8.64e15 ? startMs : 0).toISOString().slice(0, 10);
  return `${safeSegment(s.deviceId)}/${s.channel}/${day}/${s.sessionId}_${name}`;
}

function randomSuffix(): string {
  const b = randomBytes(8);
  let out = '';
  for (let i = 0; i < NAME_SUFFIX_CHARS; i++) out += (b[i]! % 36).toString(36);
  return out;
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
