/**
 * The SD-card panel (docs/sd-playback.md): plays the camera's own recordings of a time range in the
 * page. Play asks the platform (`POST …/sdplay`: the sdplay actor sends PlayVideo), then mpegts.js
 * plays the MPEG-TS the platform relays over WSS, as live. Pause, resume, speed and seek go through
 * `POST …/sdplay/:sid/ctrl` (CtrlVideo); the position is the camera's QueryVideoStatus answer,
 * read every second (`GET …/sdplay/:sid`). Stop, a channel change or leaving the page stops it.
 * The panel shows only for a camera with an SD card ({@link hasSdCard}).
 */
import type { SdPlayTicket, SdPlayView } from '../../../services/live/sdplay.ts';
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { DISK_STATE, SD_PLAY_SPEEDS } from '../../../protocol/constants.ts';
import { api, CSRF_HEADER, explain } from '../api.ts';
import { statusLine } from '../action.ts';
import { announce, field, h, replace } from '../dom.ts';
import { LIVE_MAX_LATENCY_S } from './live.ts';
import { mseProblem, onThisOrigin } from './media.ts';
import { listenToDeviceActors } from './actor-feed.ts';
import type { PanelContext } from './slots.ts';
import { playTs, type Mpegts, type TsPlayer } from './ts-player.ts';

/** How often the panel reads the playback's position (QueryVideoStatus through the platform). */
export const SD_STATUS_POLL_MS = 1_000;
/** The range the panel offers first: the last hour. */
export const SD_DEFAULT_RANGE_S = 3_600;
const MS_PER_S = 1000;
/** Characters of a `datetime-local` value to the second (`YYYY-MM-DDTHH:MM:SS`). */
const LOCAL_DATETIME_CHARS = 19;
/** States where the playback is over. */
const FINAL = new Set(['stopped', 'failed']);

/**
 * Whether the camera has an SD card: its GetDiskInfo answer at its last login (kept by its pu actor, shown by
 * `GET /api/devices/:id`) says a readable card; unknown (never answered) shows the panel, as the console shows what a
 * camera has not said it lacks (camera/capabilities.ts). Never a request to the camera: one to a sleeping camera
 * would wake it (issue #22).
 */
export async function hasSdCard(deviceId: string): Promise<boolean> {
  try {
    const d = await api<Pick<DeviceStatus, 'disk'>>(`/api/devices/${encodeURIComponent(deviceId)}`);
    return d.disk ? d.disk.state === DISK_STATE.normal : true;
  } catch {
    return false;
  }
}

/** A `datetime-local` value of this computer's time. */
function localValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, LOCAL_DATETIME_CHARS);
}
const fmt = (s: number | undefined) => (s === undefined ? '—' : new Date(s * MS_PER_S).toLocaleString());

/** Mount the SD-card panel into its card (hidden until the camera says it has a card). */
export function mountSdCard(root: HTMLElement, ctx: PanelContext): () => void {
  const base = (ch: number) => `/api/devices/${encodeURIComponent(ctx.deviceId)}/channels/${ch}/sdplay`;
  const now = Date.now();
  const from = h('input', { type: 'datetime-local', name: 'from', step: 1, value: localValue(now - SD_DEFAULT_RANGE_S * MS_PER_S) });
  const to = h('input', { type: 'datetime-local', name: 'to', step: 1, value: localValue(now) });
  const video = h('video', { class: 'live-video', muted: true, playsinline: true, preload: 'none', 'aria-label': 'SD-card recording' });
  video.muted = true;
  const play = h('button', { type: 'button', class: 'primary', 'data-action': 'sd-play' }, 'Play');
  const pause = h('button', { type: 'button', disabled: true, 'data-action': 'sd-pause' }, 'Pause');
  const stopBtn = h('button', { type: 'button', disabled: true, 'data-action': 'sd-stop' }, 'Stop');
  const speed = h('select', { name: 'speed', disabled: true }, ...SD_PLAY_SPEEDS.map((s) => h('option', { value: s, selected: s === 1 }, `×${s}`)));
  const seek = h('input', { type: 'range', name: 'seek', min: 0, max: 1, value: 0, disabled: true, 'aria-label': 'Seek' });
  const badge = h('span', { class: 'badge off', 'data-testid': 'sd-state', 'data-state': 'none' }, 'not playing');
  const position = h('output', { 'data-testid': 'sd-pos', 'data-pos': '' }, '—');
  const status = statusLine();
  root.classList.add('wide');
  root.hidden = true;
  root.append(
    h('div', { class: 'row inline' }, field('From', from), field('To', to), play),
    h('div', { class: 'video-box' }, video),
    h('div', { class: 'row inline' }, pause, field('Speed', speed), stopBtn, h('span', {}, 'State: ', badge)),
    h('div', { class: 'row inline' }, seek, h('span', {}, 'Position: ', position)),
    status,
  );

  let current: { ch: number; ticket: SdPlayTicket; player?: TsPlayer; poll?: ReturnType<typeof setInterval>; paused: boolean } | undefined;

  const say = (text: string, kind: 'ok' | 'error' | 'busy' | 'plain') => {
    replace(status, text);
    status.className = kind === 'plain' ? 'status' : `status ${kind}`;
  };
  const controls = (on: boolean) => {
    for (const el of [pause, stopBtn, speed, seek]) el.disabled = !on;
    play.disabled = on;
  };
  const show = (v: SdPlayView) => {
    badge.dataset.state = v.state;
    badge.textContent = v.state === 'active.paused' ? 'paused' : v.state === 'active.playing' ? 'playing' : v.state;
    badge.className = `badge ${v.state.startsWith('active') ? 'on' : v.state === 'failed' ? 'err' : FINAL.has(v.state) ? 'off' : 'busy'}`;
    badge.title = v.reason;
    position.dataset.pos = v.pos === undefined ? '' : String(v.pos);
    position.textContent = `${fmt(v.pos ?? v.asked_pos)}${v.status ? ` (${v.status}, ×${v.speed})` : ''}`;
    if (v.pos !== undefined && document.activeElement !== seek) seek.value = String(v.pos);
  };
  const teardown = (leave: boolean) => {
    const c = current;
    if (!c) return;
    current = undefined;
    clearInterval(c.poll);
    c.player?.stop();
    video.removeAttribute('src');
    video.load();
    controls(false);
    pause.textContent = 'Pause';
    if (leave)
      void fetch(`${base(c.ch)}/${c.ticket.play_id}`, { method: 'DELETE', keepalive: true, credentials: 'same-origin', headers: { [CSRF_HEADER]: '1' } }).catch(
        () => {},
      );
  };
  const refresh = async () => {
    const c = current;
    if (!c) return;
    try {
      const v = await api<SdPlayView>(`${base(c.ch)}/${c.ticket.play_id}`);
      if (current !== c) return;
      show(v);
      if (FINAL.has(v.state)) {
        teardown(false);
        say(`The playback ${v.state === 'failed' ? 'failed' : 'ended'}: ${v.failure?.reason ?? v.reason}.`, v.state === 'failed' ? 'error' : 'plain');
        announce(status.textContent ?? '');
      }
    } catch (err) {
      say(explain(err), 'error');
    }
  };
  const control = async (body: Record<string, unknown>, done: string) => {
    const c = current;
    if (!c) return;
    try {
      show(await api<SdPlayView>(`${base(c.ch)}/${c.ticket.play_id}/ctrl`, { method: 'POST', body }));
      say(done, 'ok');
    } catch (err) {
      say(explain(err), 'error');
    }
  };

  play.addEventListener('click', async () => {
    const problem = mseProblem();
    if (problem) return say(problem, 'error');
    const range = { from: Math.floor(new Date(from.value).getTime() / MS_PER_S), to: Math.floor(new Date(to.value).getTime() / MS_PER_S) };
    if (!(range.to > range.from)) return say('Choose a range whose end is after its start.', 'error');
    const ch = ctx.channel();
    play.disabled = true;
    say('Asking the camera to play its recordings (PlayVideo)…', 'busy');
    let ticket: SdPlayTicket;
    let mpegts: Mpegts;
    try {
      [ticket, mpegts] = await Promise.all([api<SdPlayTicket>(base(ch), { method: 'POST', body: range }), import('mpegts.js').then((m) => m.default)]);
    } catch (err) {
      play.disabled = false;
      return say(explain(err), 'error');
    }
    seek.min = String(range.from);
    seek.max = String(range.to - 1);
    seek.value = String(range.from);
    const c: NonNullable<typeof current> = { ch, ticket, paused: false };
    current = c;
    controls(true);
    // Chase the latency as live does: a pause or a seek shows within a moment, not after a buffer's worth.
    c.player = playTs(mpegts, video, onThisOrigin(ticket.ws_url), { liveBufferLatencyChasing: true, liveBufferLatencyMaxLatency: LIVE_MAX_LATENCY_S });
    c.poll = setInterval(() => void refresh(), SD_STATUS_POLL_MS);
    say('Playing the SD card.', 'ok');
  });
  pause.addEventListener('click', () => {
    const c = current;
    if (!c) return;
    c.paused = !c.paused;
    pause.textContent = c.paused ? 'Resume' : 'Pause';
    void control({ action: c.paused ? 'pause' : 'resume' }, c.paused ? 'Paused.' : 'Resumed.');
  });
  speed.addEventListener('change', () => void control({ action: 'speed', speed: Number(speed.value) }, `Speed ×${speed.value}.`));
  seek.addEventListener('change', () => void control({ action: 'seek', pos: Number(seek.value) }, `Sought to ${fmt(Number(seek.value))}.`));
  stopBtn.addEventListener('click', () => {
    teardown(true);
    say('Stopped.', 'plain');
  });
  ctx.onChannel(() => teardown(true));
  const check = () => void hasSdCard(ctx.deviceId).then((yes) => (root.hidden = !yes));
  check();
  // A camera that was offline when the page opened is asked again when it logs in.
  const unlisten = listenToDeviceActors(ctx.deviceId, {
    transition: (t) => {
      if (t.type === 'pu' && t.stateKey.startsWith('online') && root.hidden && t.event?.type === 'vd.connected') check();
    },
  });
  const onPageHide = () => teardown(true);
  window.addEventListener('pagehide', onPageHide);
  return () => {
    window.removeEventListener('pagehide', onPageHide);
    unlisten();
    teardown(true);
  };
}
