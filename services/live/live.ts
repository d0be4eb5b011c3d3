/**
 * Live media (Vm, H.627.2 9.3.3): the MDU (SRT relay in media/mdu), the stream actors' effects
 * (PushLive, StopLive, closing a stream), and viewers. A viewer asks the API to watch a channel;
 * the platform starts the channel's stream if needed and hands out an SRT pull URL and a WSS URL,
 * each with its own single-use token; whichever connects first is the viewer's connection.
 * Secrets (publisher and viewer tokens, passphrases) live only here, in memory.
 */
import { eq } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { devices } from '../../db/schema.ts';
import { Mdu, type MduEvents } from '../../media/mdu/index.ts';
import { VIEWER_CONNECT_TIMEOUT_MS, streamActorId } from '../../actors/machines/stream.machine.ts';
import { STREAM_ACTOR_PREFIX, streamIdOf } from '../../actors/machines/ids.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import type { StreamContext } from '../../actors/machines/stream.types.ts';
import type { ActorHost, Transition } from '../../actors/host/host.ts';
import type { StreamEffectCall, StreamEffectHandlers } from '../../actors/machines/stream.effects.ts';
import type { Principal } from '../users/principal.ts';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../lib/config.ts';
import type { Logger } from '../../lib/log.ts';
import type { LogLimiter } from '../../lib/log-limit.ts';
import type { VdConnections } from '../vd/vd-connections.ts';
import { DomainError } from '../errors.ts';
import { randomToken } from '../../lib/secrets.ts';
import { admitPublisher, feedSocket, type LiveSocket, srtUrl, STREAM_KEY_BYTES } from './mdu-access.ts';
import { ownerOf, passphraseOf } from './live-names.ts';
import { type RunsHere, sweepMoved, sweepStale } from './moved.ts';
import { streamOverview, type StreamOverviewRow } from './overview.ts';

export { type LiveSocket, STREAM_KEY_BYTES, WS_VIEWER_MAX_BUFFERED_BYTES } from './mdu-access.ts';
export { ownerOf, PASSPHRASE_CHARS, passphraseOf } from './live-names.ts';
export { STREAM_OVERVIEW_MAX, type StreamOverviewRow } from './overview.ts';

/** PushLive `max_bitrate` when the viewer does not ask for one, kbit/s (platform's choice: 1080p-ish H.264). */
export const DEFAULT_MAX_BITRATE_KBPS = 2000;
/** Random bytes of a stream id (16 hex digits) and of a viewer id. */
export const STREAM_ID_BYTES = 8;
export const VIEWER_ID_BYTES = 9;
/**
 * How long a viewer's join may take to reach its stream: the pu decides (one commit), then the stream
 * takes it (another; two when the stream is new). Far above both; past it the API answers 503.
 */
export const JOIN_WAIT_MS = 10_000;

/** What a viewer is handed. */
export interface LiveTicket {
  stream_id: string;
  viewer_id: string;
  srt_url: string;
  ws_url: string;
  expires_at: string;
  state: string;
}

interface ViewerGrant {
  streamId: string;
  viewerId: string;
  owner: string;
  srtToken: string;
  wsToken: string;
  expiresAt: number;
  /** Connected over SRT or WSS (until then it lapses at expiresAt). */
  connected?: boolean;
}

/** What the live service uses. */
export interface LiveDeps {
  db: Db;
  host: Pick<ActorHost, 'clustered' | 'create' | 'dispatch' | 'get' | 'peek' | 'send' | 'subscribe'>;
  log: Logger;
  /** The log for lines outsiders can cause (a device pushing a stream nobody asked for). */
  rateLog: LogLimiter;
  cfg: Pick<Config, 'srtPort' | 'srtListenerDormantMs' | 'publicHost' | 'liveViewersPerUser' | 'liveLingerMs' | 'wakeTimeoutMs'>;
  vd: Pick<VdConnections, 'request'>;
  /** Public base URL of the platform (known once the server listens). */
  baseUrl(): string;
}

/** Runs the MDU and everything live. */
export class LiveService {
  mdu!: Mdu;
  /** Viewers by stream, as the stream actors' contexts hold them (viewer → owner): a node-local index, rebuilt from their transitions. */
  private viewers = new Map<string, Map<string, string>>();
  /** Joins on their way through the pu to a stream: viewerId → who waits. */
  private joins = new Map<string, (joined: { streamId: string; stateKey: string }) => void>();
  private grants = new Map<string, ViewerGrant>(); // viewerId → grant (its secrets: node-local, never in an actor)
  /** Other services whose viewers leave with these (SD-card playback: sdplay.ts adds itself). */
  readonly evictors: Array<(deviceId: string, userIds: readonly string[]) => void> = [];
  private byToken = new Map<string, ViewerGrant>(); // srt or ws token → grant
  private unsubscribers = new Map<string, () => void>(); // viewerId → stop the WSS feed

  constructor(private p: LiveDeps) {}

  /** Start the MDU on SRT_PORT and follow its events and the PUs' state. */
  async start(): Promise<void> {
    const log = this.p.log.child({ mod: 'mdu' });
    const { srtPort: port, srtListenerDormantMs: listenerDormantAfterMs } = this.p.cfg;
    this.mdu = await Mdu.start({ port, listenerDormantAfterMs, log: (l) => log[l.level]({ ...l, level: undefined }, l.event) });
    const on = <K extends keyof MduEvents>(name: K, fn: (e: MduEvents[K]) => void) =>
      this.mdu.on(name, (e) => {
        try {
          fn(e);
        } catch (err) {
          this.p.log.error({ err: String(err), event: name }, 'live event handler failed');
        }
      });
    on('publish.start', (e) => this.p.host.send(streamActorId(e.streamId), { type: 'ingest.started', ...(e.peer ? { peer: e.peer } : {}) }));
    on('publish.end', (e) => this.p.host.send(streamActorId(e.streamId), { type: 'ingest.ended', reason: e.reason }));
    on('viewer.join', (e) => {
      const g = e.kind === 'srt' && e.token ? this.byToken.get(e.token) : undefined;
      if (g) this.connected(g, 'srt');
    });
    on('viewer.leave', (e) => {
      const g = e.kind === 'srt' && e.token ? this.byToken.get(e.token) : undefined;
      if (g) this.leave(g, `SRT viewer left (${e.reason})`);
    });
    on('stats', (s) => {
      if (!s.live) return;
      this.p.host.send(streamActorId(s.streamId), {
        type: 'stats',
        stats: {
          bitrateBps: s.bitrateBps,
          packets: s.packets,
          bytes: s.bytes,
          viewers: s.viewers,
          at: Date.now(),
          ...(s.srt ? { rttMs: s.srt.msRTT, lostPackets: s.srt.pktRcvLoss, retransmittedPackets: s.srt.pktRetrans } : {}),
        },
      });
    });
    this.p.host.subscribe((t) => this.onTransition(t), { unlogged: false });
  }

  /** Streams this node's previous runs owned (or nobody) cannot resume (services/live/moved.ts). */
  sweepStale(nodeId: string): Promise<void> {
    return sweepStale(this.p, nodeId);
  }

  /** The device logged in here: its streams and playbacks no service here ran cannot go on (services/live/moved.ts). */
  sweepMoved(deviceId: string, others: RunsHere[]): Promise<void> {
    return sweepMoved(this.p, deviceId, [this, ...others]);
  }

  /** Whether this node runs stream actor `actorId` (its grants are in this node's MDU): services/live/moved.ts. */
  ranHere(actorId: string): boolean {
    return actorId.startsWith(STREAM_ACTOR_PREFIX) && this.viewers.has(streamIdOf(actorId));
  }

  /** Stop the MDU. */
  async stop(): Promise<void> {
    await this.mdu?.stop();
  }

  /** The SRT port viewers and cameras use. */
  get srtPort(): number {
    return this.mdu.port;
  }

  /** Where SRT peers reach this node's MDU. */
  srtPlace(): { publicHost: string; srtPort: number } {
    return { publicHost: this.p.cfg.publicHost, srtPort: this.srtPort };
  }

  /** Figures for /metrics. */
  figures(): { streams: number; viewers: number; bitrateBps: number } {
    let streams = 0;
    let viewers = 0;
    let bitrateBps = 0;
    for (const streamId of this.viewers.keys()) {
      const s = this.mdu?.stats(streamId);
      if (!s?.live) continue;
      streams++;
      viewers += s.viewers;
      bitrateBps += s.bitrateBps;
    }
    return { streams, viewers, bitrateBps };
  }

  /** The admins' overview of the streams that have not ended (services/live/overview.ts). */
  streams(): Promise<{ streams: StreamOverviewRow[]; truncated: boolean }> {
    return streamOverview(this.p);
  }

  /** A viewer asks to watch a channel: start its stream if needed, hand out the URLs. */
  async watch(who: Principal, deviceId: string, channel: number, maxBitrateKbps = DEFAULT_MAX_BITRATE_KBPS): Promise<LiveTicket> {
    const [dev] = await this.p.db.orm.select({ channels: devices.channels }).from(devices).where(eq(devices.id, deviceId));
    if (!dev || !(dev.channels as number[]).includes(channel)) throw new DomainError('not-found', `device ${deviceId} has no channel ${channel}`, 'ch');
    const cap = this.p.cfg.liveViewersPerUser;
    if (this.viewersOf(ownerOf(who)) >= cap)
      throw new DomainError('rate-limited', `at most ${cap} live viewers per user at once: stop watching one first (DELETE …/live)`);
    const viewerId = randomToken(VIEWER_ID_BYTES);
    const { streamId, stateKey } = await this.join(deviceId, channel, viewerId, ownerOf(who), maxBitrateKbps);
    const g: ViewerGrant = {
      streamId,
      viewerId,
      owner: ownerOf(who),
      srtToken: randomToken(),
      wsToken: randomToken(),
      expiresAt: Date.now() + VIEWER_CONNECT_TIMEOUT_MS,
    };
    const passphrase = passphraseOf();
    await this.mdu.allowViewer({ streamId, token: g.srtToken, passphrase, pbkeylen: STREAM_KEY_BYTES, expiresAt: g.expiresAt });
    this.grants.set(g.viewerId, g);
    this.byToken.set(g.srtToken, g);
    this.byToken.set(g.wsToken, g);
    return {
      stream_id: streamId,
      viewer_id: g.viewerId,
      srt_url: srtUrl(this.srtPlace(), streamId, 'request', g.srtToken, passphrase),
      ws_url: `${this.p.baseUrl().replace(/^https/, 'wss')}/media/live/${streamId}?token=${g.wsToken}`,
      expires_at: new Date(g.expiresAt).toISOString(),
      state: stateKey,
    };
  }

  /** A viewer joins the channel's stream as `by`: the pu picks it or a new one (issue #20), waking a sleeping camera (#22). */
  async join(deviceId: string, channel: number, viewerId: string, by: string, maxBitrateKbps = DEFAULT_MAX_BITRATE_KBPS) {
    const asleep = ['hibernating', 'waking'].includes((await this.p.host.get(puActorId(deviceId)))?.stateKey ?? '');
    const joined = this.joined(viewerId, asleep ? this.p.cfg.wakeTimeoutMs : 0);
    joined.catch(() => {}); // a join that fails before awaiting it must not leave its timeout's rejection unhandled
    const r = await this.p.host.dispatch(puActorId(deviceId), {
      type: 'live.watch',
      viewerId,
      by,
      channel,
      streamId: randomBytes(STREAM_ID_BYTES).toString('hex'),
      maxBitrateKbps,
      lingerMs: this.p.cfg.liveLingerMs,
      wakeTimeoutMs: this.p.cfg.wakeTimeoutMs,
    });
    if (!r.accepted) {
      this.joins.delete(viewerId);
      throw new DomainError('unavailable', `device ${deviceId} is ${r.stateKey}`);
    }
    return joined;
  }

  /** The longest a watch waits, ms: a sleeping camera's wake (WAKE_TIMEOUT_S), then the join (JOIN_WAIT_MS). */
  watchWaitMs(): number {
    return this.p.cfg.wakeTimeoutMs + JOIN_WAIT_MS;
  }

  /** Resolves when a stream has taken the viewer (its transition says so), or fails after JOIN_WAIT_MS (plus a wake's time). */
  private joined(viewerId: string, wakeMs: number): Promise<{ streamId: string; stateKey: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.joins.delete(viewerId);
        const why = wakeMs
          ? `the camera was asleep and did not wake and take the viewer within ${(wakeMs + JOIN_WAIT_MS) / 1000} s (WAKE_TIMEOUT_S)`
          : 'the stream did not take the viewer in time';
        reject(new DomainError('unavailable', `${why}; try again`));
      }, JOIN_WAIT_MS + wakeMs);
      this.joins.set(viewerId, (j) => {
        clearTimeout(timer);
        this.joins.delete(viewerId);
        resolve(j);
      });
    });
  }

  /** Viewers an owner holds now, as the streams count them (connected, or still allowed to connect). */
  private viewersOf(owner: string): number {
    let n = 0;
    for (const byViewer of this.viewers.values()) for (const o of byViewer.values()) if (o === owner) n++;
    return n;
  }

  /** The caller's viewers of a stream leave (idempotent: none left is fine, an unknown stream is not). */
  async unwatch(who: Principal, deviceId: string, channel: number, streamId: string): Promise<number> {
    if (!(await this.belongs(streamId, deviceId, channel))) throw new DomainError('not-found', `no stream ${streamId} on this channel`, 'stream_id');
    let n = 0;
    for (const g of [...this.grants.values()]) {
      if (g.streamId !== streamId || (g.owner !== ownerOf(who) && who.role !== 'admin')) continue;
      this.leave(g, 'the viewer left');
      n++;
    }
    return n;
  }

  /** A WSS viewer presents its token: the grant, if valid (the token is then used up). */
  takeWsToken(streamId: string, token: string): ViewerGrant | undefined {
    const g = this.byToken.get(token);
    if (!g || g.wsToken !== token || g.streamId !== streamId || g.expiresAt < Date.now() || this.unsubscribers.has(g.viewerId)) return undefined;
    this.byToken.delete(token);
    return g;
  }

  /** Feed a WSS viewer from the MDU (whole TS packets, from the latest keyframe). */
  attachWs(g: ViewerGrant, ws: LiveSocket): void {
    this.unsubscribers.set(g.viewerId, feedSocket(this.mdu, g.streamId, ws, 'stream'));
    this.connected(g, 'ws');
  }

  /** These users' viewers of a device's streams leave at once (they lost the camera), and their SD playbacks (evictors). */
  evictUsers(deviceId: string, userIds: readonly string[]): void {
    const owners = new Set(userIds.map((userId) => ownerOf({ kind: 'user', role: 'user', userId, username: '' })));
    for (const g of [...this.grants.values()]) {
      const c = this.p.host.peek(streamActorId(g.streamId))?.context as StreamContext | undefined;
      if (owners.has(g.owner) && c?.deviceId === deviceId) this.leave(g, 'no longer allowed to watch this camera');
    }
    for (const evict of this.evictors) evict(deviceId, userIds);
  }

  /** A WSS viewer's socket closed. */
  detachWs(g: ViewerGrant, reason: string): void {
    this.leave(g, reason);
  }

  /** The stream machine's effects. */
  effects(): StreamEffectHandlers {
    return {
      'live.push': (c) => this.push(c),
      'live.stop': (c) => this.stopDevice(c),
      'live.close': (c) => this.close(c),
      'live.keepAwake': (c) => void this.p.vd.request(c.params.deviceId, 'KeepAwaken', { channel: c.params.channel, expired: c.params.expiredS }),
    };
  }

  private async push(c: StreamEffectCall<'live.push'>): Promise<void> {
    const { streamId, deviceId, channel, maxBitrateKbps } = c.params;
    const url = await admitPublisher(this.mdu, this.srtPlace(), streamId, passphraseOf());
    const a = await this.p.vd.request(deviceId, 'PushLive', { channel, url, stream_id: streamId, max_bitrate: maxBitrateKbps });
    this.p.host.send(
      c.actorId,
      a.ok ? { type: 'push.result', ok: true } : { type: 'push.result', ok: false, ...(a.kind === 'err' ? { code: a.code } : {}), msg: a.msg },
    );
  }

  private async stopDevice(c: StreamEffectCall<'live.stop'>): Promise<void> {
    const { streamId, deviceId, channel } = c.params;
    const a = await this.p.vd.request(deviceId, 'StopLive', { stream_id: streamId, channel });
    this.p.host.send(
      c.actorId,
      a.ok ? { type: 'stop.result', ok: true } : { type: 'stop.result', ok: false, ...(a.kind === 'err' ? { code: a.code } : {}), msg: a.msg },
    );
  }

  private async close(c: StreamEffectCall<'live.close'>): Promise<void> {
    const { streamId, reason } = c.params;
    this.viewers.delete(streamId);
    for (const g of [...this.grants.values()]) if (g.streamId === streamId) this.forget(g);
    await this.mdu.closeStream(streamId, reason);
  }

  private async belongs(streamId: string, deviceId: string, channel: number): Promise<boolean> {
    const v = await this.p.host.get(streamActorId(streamId));
    const c = v?.context as StreamContext | undefined;
    return Boolean(c && c.deviceId === deviceId && c.channel === channel);
  }

  private connected(g: ViewerGrant, kind: 'srt' | 'ws'): void {
    g.connected = true;
    // One connection per viewer: the other URL stops working.
    if (kind === 'srt') this.byToken.delete(g.wsToken);
    else this.mdu.revoke(g.streamId, g.srtToken).catch(() => {});
    this.p.host.send(streamActorId(g.streamId), { type: 'viewer.connected', viewerId: g.viewerId, kind });
  }

  private leave(g: ViewerGrant, reason: string): void {
    if (!this.grants.has(g.viewerId)) return;
    this.forget(g);
    this.mdu.revoke(g.streamId, g.srtToken).catch(() => {}); // disconnects an SRT viewer admitted with it
    this.p.host.send(streamActorId(g.streamId), { type: 'viewer.leave', viewerId: g.viewerId, reason });
  }

  private forget(g: ViewerGrant): void {
    this.grants.delete(g.viewerId);
    this.byToken.delete(g.srtToken);
    this.byToken.delete(g.wsToken);
    const stop = this.unsubscribers.get(g.viewerId);
    this.unsubscribers.delete(g.viewerId);
    stop?.();
  }

  /**
   * Stream transitions keep the node-local index of viewers; a viewer a stream dropped (it left,
   * or never connected in time) loses its grant; a join the stream took answers its waiting watch.
   */
  private onTransition(t: Transition): void {
    if (t.type !== 'stream') return;
    const c = t.context as unknown as StreamContext;
    if (t.status !== 'active') {
      this.viewers.delete(c.streamId);
      return;
    }
    const now = new Map(Object.entries(c.viewers).map(([id, v]) => [id, v.by ?? ''] as const));
    const before = this.viewers.get(c.streamId);
    this.viewers.set(c.streamId, now);
    for (const id of before?.keys() ?? []) {
      const g = this.grants.get(id);
      if (now.has(id) || !g) continue;
      this.forget(g);
      this.mdu.revoke(g.streamId, g.srtToken).catch(() => {});
    }
    if (t.event.type === 'viewer.join' && now.has(String(t.event.viewerId)))
      this.joins.get(String(t.event.viewerId))?.({ streamId: c.streamId, stateKey: t.stateKey });
  }
}
