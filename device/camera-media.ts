/**
 * Live push, cloud recording and playback of a camera's channels (PushLive, StopLive, StartRecord,
 * StopRecord, PlayVideo, CtrlVideo, QueryVideoStatus; H.627.2 I.2.12–I.2.15, I.2.23–I.2.25).
 * Pushing and recording are a seam: `MediaHooks` do the real work (FFmpeg to SRT, segments to Vr);
 * without a hook PushLive and StartRecord answer err 101. This module keeps the bookkeeping the
 * spec asks of the device: one push and one record session per channel (NOTES 17, OVC dap.md 5.5,
 * 5.6), reported in Keepalive.
 * @module
 */
import type {
  CtrlVideoParams,
  PlayVideoParams,
  PushLiveParams,
  QueryVideoStatusResp,
  StartRecordParams,
  StopLiveParams,
  StopRecordParams,
} from '../protocol/index.ts';
import { errorText } from './http.ts';
import { isSrtPushUrl } from './live.ts';
import { unsupported, VdFault } from './vd-fault.ts';

/** A hook's answer: `{}` on success, or the `err` the device answers. */
export type MediaResult = Record<string, never> | { err: { code: number; msg: string } };

/** What a hook gets besides the request's params. */
export interface MediaContext {
  deviceId: string;
  mac: string;
  /** Device time, ms since the epoch (StartRecord `start_ts` ≤ 0 means "use it", NOTES 16). */
  now(): number;
  /** A line for the device log. */
  log(line: string): void;
  /** Call when the push or recording ends by itself (FFmpeg died): Keepalive stops reporting it. */
  ended(): void;
}

/**
 * Where live pushing and recording plug in. Each hook resolves `{}` or `{err}`; a throw is err 500.
 * @example new SimulatedDevice({ ..., media: { onPushLive: async (p, ctx) => { startFfmpeg(p.url); return {} } } })
 */
export interface MediaHooks {
  onPushLive?(params: PushLiveParams, ctx: MediaContext): Promise<MediaResult>;
  onStopLive?(params: StopLiveParams, ctx: MediaContext): Promise<MediaResult>;
  onStartRecord?(params: StartRecordParams, ctx: MediaContext): Promise<MediaResult>;
  onStopRecord?(params: StopRecordParams, ctx: MediaContext): Promise<MediaResult>;
  /** Playing the SD card's recordings (PlayVideo, CtrlVideo, QueryVideoStatus); without it only the status is kept. */
  sdCard?: SdCardHooks;
}

/** What plays SD-card recordings (device/sd-card.ts). */
export interface SdCardHooks {
  /** Whether the channel plays from the card now. */
  has(channel: number): boolean;
  play(params: PlayVideoParams, ctx: MediaContext): void;
  control(params: CtrlVideoParams, ctx: MediaContext): void;
  status(channel: number): QueryVideoStatusResp;
  stop(channel: number): void;
}

/** A channel as media sees it. */
interface MediaChannel {
  streamId: string | undefined;
  recordSession: string | undefined;
  /** The Vr URL (`cbk_url`) the running record session was started with. */
  recordCbkUrl?: string | undefined;
  playback: QueryVideoStatusResp;
}

/** What media needs from the camera. */
export interface MediaHost {
  /** The channel, checked to exist (102) and, when `usable`, to be online and enabled (103). */
  channel(channel: number, usable: boolean): MediaChannel;
  context(channel: number, ended: () => void): MediaContext;
}

/** Push and record bookkeeping over the hooks, and playback state. */
export class CameraMedia {
  constructor(
    private readonly host: MediaHost,
    readonly hooks: MediaHooks = {},
  ) {}

  /** PushLive: the same stream again succeeds unchanged; another one replaces the running push (NOTES 17). */
  async pushLive(params: PushLiveParams): Promise<Record<string, never>> {
    const channel = this.host.channel(params.channel, true);
    if (this.hooks.onPushLive === undefined) throw unsupported('PushLive (no live handler installed)');
    if (channel.streamId === params.stream_id) return {};
    if (channel.streamId !== undefined) await this.stopLive({ stream_id: channel.streamId, channel: params.channel });
    const ctx = this.host.context(params.channel, () => {
      if (channel.streamId === params.stream_id) channel.streamId = undefined;
    });
    // The channel pushes this stream from now on, not once the push is confirmed: a RebootChannel or StopLive that comes
    // while PushLive is being answered must find it, and stop it.
    channel.streamId = params.stream_id;
    try {
      await run(this.hooks.onPushLive(params, ctx));
    } catch (err) {
      if (channel.streamId === params.stream_id) channel.streamId = undefined;
      throw err;
    }
    return {};
  }

  /** StopLive: stops that stream; a stream that is not running is already stopped (I.2.13). */
  async stopLive(params: StopLiveParams): Promise<Record<string, never>> {
    const channel = this.host.channel(params.channel, false);
    if (channel.streamId !== params.stream_id) return {};
    channel.streamId = undefined;
    if (this.hooks.onStopLive !== undefined)
      await run(
        this.hooks.onStopLive(
          params,
          this.host.context(params.channel, () => {}),
        ),
      );
    return {};
  }

  /** StartRecord: the same session again succeeds unchanged; another one replaces it (OVC dap.md 5.6). */
  async startRecord(params: StartRecordParams): Promise<Record<string, never>> {
    const channel = this.host.channel(params.channel, true);
    if (this.hooks.onStartRecord === undefined) throw unsupported('StartRecord (no recording handler installed)');
    if (channel.recordSession === params.session_id) {
      if (channel.recordCbkUrl === params.cbk_url) return {};
      // The same session with another Vr URL: the platform's node that held it died or left, and the node this camera
      // logged in to since sends StartRecord again with its own URL (docs/cluster.md). Kept, the old URL led nowhere:
      // the session never recorded again after a failover (tests/cluster/failover.test.ts). Restarted there.
      await this.stopRecord({ session_id: params.session_id, channel: params.channel });
    }
    if (channel.recordSession !== undefined) await this.stopRecord({ session_id: channel.recordSession, channel: params.channel });
    const ctx = this.host.context(params.channel, () => {
      if (channel.recordSession === params.session_id) channel.recordSession = undefined;
    });
    await run(this.hooks.onStartRecord(params, ctx));
    channel.recordSession = params.session_id;
    channel.recordCbkUrl = params.cbk_url;
    return {};
  }

  /** StopRecord: stops that session; a session that is not running is already stopped (I.2.15). */
  async stopRecord(params: StopRecordParams): Promise<Record<string, never>> {
    const channel = this.host.channel(params.channel, false);
    if (channel.recordSession !== params.session_id) return {};
    channel.recordSession = undefined;
    if (this.hooks.onStopRecord !== undefined)
      await run(
        this.hooks.onStopRecord(
          params,
          this.host.context(params.channel, () => {}),
        ),
      );
    return {};
  }

  /** Stop whatever a channel pushes and records (channel reboot, power loss); failures are logged only. */
  async stopChannel(channel: number): Promise<void> {
    const state = this.host.channel(channel, false);
    const stops: Promise<unknown>[] = [];
    if (state.streamId !== undefined) stops.push(this.stopLive({ stream_id: state.streamId, channel }));
    if (state.recordSession !== undefined) stops.push(this.stopRecord({ session_id: state.recordSession, channel }));
    state.playback = { status: 'stopped' };
    this.hooks.sdCard?.stop(channel);
    const results = await Promise.allSettled(stops);
    for (const r of results) if (r.status === 'rejected') this.host.context(channel, () => {}).log(`stopping media failed: ${errorText(r.reason)}`);
  }

  /**
   * PlayVideo: play the file at `url` (event, no answer). An SRT url asks a camera with an SD card to
   * push its recordings there (docs/sd-playback.md); any other url is a file the device plays itself,
   * of which the simulator keeps only the status.
   */
  play(params: PlayVideoParams): void {
    const channel = this.host.channel(params.channel, false);
    if (this.hooks.sdCard && isSrtPushUrl(params.url)) {
      channel.playback = { status: 'stopped' };
      return this.hooks.sdCard.play(
        params,
        this.host.context(params.channel, () => {}),
      );
    }
    this.hooks.sdCard?.stop(params.channel);
    channel.playback = { status: 'playing', url: params.url };
  }

  /** CtrlVideo: the SD card's playback when one runs; else stop, pause (when playing), resume (when paused). */
  control(params: CtrlVideoParams): void {
    const channel = this.host.channel(params.channel, false);
    if (this.hooks.sdCard?.has(params.channel))
      return this.hooks.sdCard.control(
        params,
        this.host.context(params.channel, () => {}),
      );
    const { status, url } = channel.playback;
    const next: Record<CtrlVideoParams['op'], QueryVideoStatusResp> = {
      stop: { status: 'stopped' },
      pause: status === 'playing' ? { status: 'pausing', url } : channel.playback,
      resume: status === 'pausing' ? { status: 'playing', url } : channel.playback,
      seek: channel.playback,
      speed: channel.playback,
    };
    channel.playback = next[params.op];
  }

  /** QueryVideoStatus answer: the SD card's playback when one runs; else the status, and the file while one is loaded. */
  status(channel: number): QueryVideoStatusResp {
    const state = this.host.channel(channel, false);
    if (this.hooks.sdCard?.has(channel)) return this.hooks.sdCard.status(channel);
    const { status, url } = state.playback;
    return url === undefined ? { status } : { status, url };
  }
}

/** A hook's result as an answer: `{err}` becomes a VdFault; a throw propagates (err 500). */
async function run(result: Promise<MediaResult>): Promise<void> {
  const answer = await result;
  if ('err' in answer && answer.err !== undefined) throw new VdFault(answer.err.code, answer.err.msg);
}
