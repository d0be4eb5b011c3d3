/**
 * The live panel (docs/console.md "Live"): a channel's live video in the page, on demand. Start asks
 * the platform to watch the channel (`POST …/live`: the stream actor sends PushLive when no stream
 * runs), then mpegts.js plays the MPEG-TS the platform relays over WSS into a `<video>` through
 * Media Source Extensions. The stream actor's state comes from the device's actor feed: asking the
 * camera, waiting for its video, live, or failed with the actor's reason (e.g. the camera answered
 * PushLive with err 101). Stop, a channel change or leaving the page closes the player and leaves
 * with `DELETE …/live?stream_id=`; the stream lingers for other viewers, then the camera stops.
 */
import type { LiveTicket } from '../../../services/live/live.ts';
import type { StreamContext } from '../../../actors/machines/stream.types.ts';
import { api, CSRF_HEADER, explain, RPC_TIMEOUT_MS } from '../api.ts';
import { progress, statusLine, type Progress } from '../action.ts';
import { announce, h, replace } from '../dom.ts';
import type { TransitionFeedEvent } from '../feed.ts';
import { listenToDeviceActors, type ActorFeedHandlers } from './actor-feed.ts';
import { mseProblem, onThisOrigin } from './media.ts';
import type { PanelContext } from './slots.ts';
import { playTs, type Mpegts, type TsPlayer } from './ts-player.ts';

/**
 * Longest wait from Start to the first picture: the platform gives the camera 20 s to answer
 * PushLive and then 10 s to publish, so its stream actor has failed (with its reason) before this.
 */
export const LIVE_FIRST_PICTURE_TIMEOUT_MS = 40_000;
/** After the player fails, how long the panel waits for the stream actor's own reason before showing the player's. */
export const FAILURE_REASON_WAIT_MS = 2_000;
/** Live latency mpegts.js keeps by skipping ahead, seconds (a camera view, not a broadcast: short). */
export const LIVE_MAX_LATENCY_S = 2.5;
/** Buffered video mpegts.js keeps behind the playhead, seconds. */
export const LIVE_BACK_BUFFER_S = 30;
/** Stream-actor transitions kept while a start is in flight (they may arrive before the API's answer). */
const EARLY_TRANSITIONS_MAX = 32;

/** The stream actor's states in words, and the badge colour of each. */
const STATES: Record<string, [string, 'on' | 'busy' | 'off' | 'err']> = {
  idle: ['starting', 'busy'],
  pushRequested: ['asking the camera', 'busy'],
  awaitingIngest: ['waiting for video', 'busy'],
  'live.watching': ['live', 'on'],
  'live.lingering': ['live, lingering', 'on'],
  stopping: ['stopping', 'busy'],
  stopped: ['stopped', 'off'],
  failed: ['failed', 'err'],
};
/** What the status line says while the stream actor is in a state on the way to live. */
const WAITING: Record<string, string> = {
  idle: 'Starting the stream…',
  pushRequested: 'Asking the camera to push live video (PushLive)…',
  awaitingIngest: 'The camera accepted; waiting for its video…',
  'live.watching': 'The camera is publishing; loading the picture…',
  'live.lingering': 'The camera is publishing; loading the picture…',
};

/** One press of Start, until it is stopped or fails. */
interface Run {
  channel: number;
  ticket?: LiveTicket;
  player?: TsPlayer;
  wait: Progress;
  playing: boolean;
  over: boolean;
  playerError?: string;
  /** The platform was told that this viewer left. */
  left?: boolean;
  timers: Array<ReturnType<typeof setTimeout>>;
}

/** A live panel driven from outside (the live grid starts and stops its tiles as they show and hide). */
export interface LiveControl {
  start(): void;
  stop(): void;
  /** Started and not yet stopped or failed. */
  readonly running: boolean;
  /** Leave the stream if watching, stop listening. */
  dispose(): void;
}

/** How a live panel hears its device's stream actors: the camera page's per-device feed, or the grid's shared one. */
export type ListenToStreams = (deviceId: string, on: Pick<ActorFeedHandlers, 'transition'>) => () => void;

/** Mount the live panel into its card (the camera page). */
export function mountLive(root: HTMLElement, ctx: PanelContext): () => void {
  return createLive(root, ctx).dispose;
}

/** Build a live panel in `root`; `listen` defaults to the device's own actor feed. */
export function createLive(root: HTMLElement, ctx: PanelContext, listen: ListenToStreams = listenToDeviceActors): LiveControl {
  const enc = encodeURIComponent(ctx.deviceId);
  const liveUrl = (ch: number) => `/api/devices/${enc}/channels/${ch}/live`;
  const video = h('video', { class: 'live-video', muted: true, playsinline: true, controls: true, preload: 'none', 'aria-label': 'Live video' });
  video.muted = true; // the attribute sets the default only; autoplay needs the property
  const note = h('p', { class: 'video-note' }, 'Not playing.');
  const button = h('button', { type: 'button', class: 'primary', 'data-action': 'live' }, 'Start live');
  const badge = h('span', { class: 'badge off', 'data-testid': 'stream-state', 'data-state': 'none' }, 'not started');
  const status = statusLine();
  const facts = h('p', { class: 'muted small' });
  root.classList.add('wide');
  root.append(h('div', { class: 'video-box' }, video, note), h('div', { class: 'row inline' }, button, h('span', {}, 'Stream: ', badge)), status, facts);

  let run: Run | undefined;
  /** The stream last watched: its badge keeps following it (lingering, stopped) after Stop. */
  let watched: string | undefined;
  const early = new Map<string, TransitionFeedEvent>();

  const showState = (stateKey: string, c?: Partial<StreamContext>) => {
    const [words, kind] = STATES[stateKey] ?? [stateKey, 'busy'];
    badge.className = `badge ${kind}`;
    badge.dataset.state = stateKey;
    badge.title = c?.reason ?? '';
    badge.textContent = words;
  };
  const resetBadge = () => {
    badge.className = 'badge off';
    badge.dataset.state = 'none';
    badge.title = '';
    badge.textContent = 'not started';
  };
  const setButton = (playing: boolean) => {
    button.textContent = playing ? 'Stop live' : 'Start live';
    button.className = playing ? '' : 'primary';
  };
  const clearVideo = () => {
    video.removeAttribute('src');
    video.load();
    note.textContent = 'Not playing.';
    note.hidden = false;
  };

  /** Close the player; with `leave`, tell the platform (keepalive: it must also go out while the page unloads). */
  const teardown = (r: Run, leave: boolean) => {
    r.over = true;
    r.timers.forEach(clearTimeout);
    r.player?.stop();
    r.player = undefined;
    if (run === r) {
      run = undefined;
      clearVideo();
      setButton(false);
    }
    if (leave && r.ticket && !r.left) {
      r.left = true;
      void fetch(`${liveUrl(r.channel)}?stream_id=${encodeURIComponent(r.ticket.stream_id)}`, {
        method: 'DELETE',
        keepalive: true,
        credentials: 'same-origin',
        headers: { [CSRF_HEADER]: '1' },
      }).catch(() => {});
    }
  };
  /**
   * The run ends with `text`: one state everywhere (status line, picture note, badge), also after "Live.", when
   * the wait has already ended (the camera dropped mid-stream: the stream actor's reason replaces "Live.").
   */
  const fail = (r: Run, text: string) => {
    if (r.over) return;
    r.wait.end(text, 'error');
    replace(status, text);
    status.className = 'status error';
    announce(text);
    teardown(r, true);
    note.textContent = text;
    facts.textContent = '';
  };

  const onStream = (r: Run, t: Pick<TransitionFeedEvent, 'stateKey' | 'context'>) => {
    const c = t.context as Partial<StreamContext> | undefined;
    showState(t.stateKey, c);
    if (r.over) return;
    if (t.stateKey === 'failed') return fail(r, `Live video failed: ${(c?.failure?.reason ?? c?.reason ?? 'no reason given').replace(/\.$/, '')}.`);
    if (t.stateKey === 'stopping' || t.stateKey === 'stopped') return fail(r, `The stream ended: ${c?.reason ?? t.stateKey}.`);
    if (!r.playing && WAITING[t.stateKey]) r.wait.update(WAITING[t.stateKey]!);
  };

  const start = async () => {
    const problem = mseProblem();
    if (problem) {
      replace(status, problem);
      status.className = 'status error';
      return;
    }
    const r: Run = { channel: ctx.channel(), wait: progress(status, 'Asking the platform for the stream…'), playing: false, over: false, timers: [] };
    run = r;
    early.clear();
    setButton(true);
    facts.textContent = '';
    note.textContent = 'Starting…';
    r.timers.push(
      setTimeout(
        () => fail(r, `No picture within ${LIVE_FIRST_PICTURE_TIMEOUT_MS / 1000} s (the stream is ${badge.textContent}).`),
        LIVE_FIRST_PICTURE_TIMEOUT_MS,
      ),
    );
    let ticket: LiveTicket;
    let mpegts: Mpegts;
    try {
      [ticket, mpegts] = await Promise.all([
        api<LiveTicket>(liveUrl(r.channel), { method: 'POST', body: {}, timeoutMs: RPC_TIMEOUT_MS }),
        import('mpegts.js').then((m) => m.default),
      ]);
    } catch (err) {
      return fail(r, err instanceof Error && err.name !== 'ApiError' ? `The player could not be loaded: ${err.message}` : explain(err));
    }
    r.ticket = ticket;
    if (r.over) return teardown(r, true); // stopped while asking: leave at once
    watched = ticket.stream_id;
    badge.dataset.stream = ticket.stream_id;
    onStream(r, { stateKey: ticket.state, context: {} });
    const seen = early.get(`stream:${ticket.stream_id}`);
    early.clear();
    if (seen) onStream(r, seen);
    if (r.over) return;
    const play = playTs(mpegts, video, onThisOrigin(ticket.ws_url), {
      liveBufferLatencyChasing: true,
      liveBufferLatencyMaxLatency: LIVE_MAX_LATENCY_S,
      autoCleanupSourceBuffer: true,
      autoCleanupMaxBackwardDuration: LIVE_BACK_BUFFER_S,
    });
    r.player = play;
    play.player.on(mpegts.Events.ERROR, (type: string, detail: string, info?: { msg?: string }) => {
      if (r.over || r.playerError) return;
      r.playerError = `${type}: ${detail}${info?.msg ? ` (${info.msg})` : ''}`;
      // The stream actor usually says why (the stream failed or ended): give the feed a moment.
      r.timers.push(setTimeout(() => fail(r, `The live video stopped: ${r.playerError}. The stream is ${badge.textContent}.`), FAILURE_REASON_WAIT_MS));
    });
  };

  const stop = async () => {
    const r = run;
    if (!r) return;
    const ticket = r.ticket;
    teardown(r, false);
    if (!ticket) {
      // Still asking: the ticket, when it comes, is left at once (start's `r.over`), or its viewer would wait for
      // nobody until the stream's connect timeout.
      r.wait.end('Stopped.', 'plain');
      return;
    }
    r.left = true; // said below, with its answer shown
    r.wait.end('Leaving the stream…', 'plain');
    try {
      await api(`${liveUrl(r.channel)}?stream_id=${encodeURIComponent(ticket.stream_id)}`, { method: 'DELETE' });
      replace(status, 'Stopped. The stream stays up a little while for other viewers, then the camera stops pushing.');
      status.className = 'status ok';
    } catch (err) {
      replace(status, `Stopped here, but the platform did not take the leave: ${explain(err)}`);
      status.className = 'status error';
    }
  };

  button.addEventListener('click', () => void (run ? stop() : start()));
  video.addEventListener('timeupdate', () => {
    const r = run;
    if (!r || r.playing || video.currentTime <= 0 || video.paused) return;
    r.playing = true;
    r.timers.forEach(clearTimeout);
    r.timers = [];
    note.hidden = true;
    r.wait.end('Live.', 'ok');
    announce(`Live video of channel ${r.channel} is playing.`);
    facts.textContent = `Stream ${r.ticket?.stream_id ?? ''}, channel ${r.channel}, started ${new Date().toLocaleTimeString()}.`;
  });

  const unlisten = listen(ctx.deviceId, {
    transition: (t) => {
      if (t.type !== 'stream') return;
      const r = run;
      if (r && !r.ticket && (t.context as Partial<StreamContext> | undefined)?.channel === r.channel) {
        if (early.size < EARLY_TRANSITIONS_MAX) early.set(t.actorId, t); // the answer to POST is still on its way
        return;
      }
      if (t.actorId !== `stream:${watched}`) return;
      if (r && r.ticket?.stream_id === watched) onStream(r, t);
      else showState(t.stateKey, t.context as Partial<StreamContext>);
    },
  });
  ctx.onChannel(() => {
    if (run) {
      const r = run;
      r.wait.end('Stopped: the channel changed.', 'plain');
      teardown(r, true);
    }
    watched = undefined;
    resetBadge();
  });
  const onPageHide = () => run && teardown(run, true);
  window.addEventListener('pagehide', onPageHide);
  return {
    start: () => void (run ? undefined : start()),
    stop: () => void (run ? stop() : undefined),
    get running() {
      return run !== undefined;
    },
    dispose: () => {
      window.removeEventListener('pagehide', onPageHide);
      unlisten();
      if (run) teardown(run, true);
    },
  };
}
