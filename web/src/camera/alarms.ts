/**
 * Alarms in the recordings panel (docs/console.md "Recordings"; issue #23): the day's alarms of the channel
 * (`GET …/channels/:ch/alarms?from=&to=`) marked on the timeline and listed with "Play from the alarm", which plays
 * from ALARM_PREROLL_S before it; and the camera's alarm-triggered recording (`GET`/`PUT …/alarm-recording`): record
 * N s after each alarm, with the camera's pre-recording.
 */
import type { AlarmRecordingView, TimelineAlarm } from '../../../services/recording/recording-alarms.ts';
import { ALARM_TYPES } from '../../../protocol/constants.ts';
import { api } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { field, fmtTime, h, replace } from '../dom.ts';
import type { TransitionFeedEvent } from '../feed.ts';
import { fmtClock } from './media.ts';
import { dayDetections, playLinked } from './detection-marks.ts';
import { type AlarmMark, markWords } from './timeline.ts';

/** "Play from the alarm" starts this long before it: what led up to it (platform's choice, a few seconds). */
export const ALARM_PREROLL_S = 5;
/** Rows of the day's alarm list shown at most (the timeline marks them all). */
export const ALARM_ROWS_MAX = 100;
/** Seconds the form suggests while the setting is off: half a minute covers most scenes (platform's choice). */
export const ALARM_RECORD_S_SUGGESTED = 30;
/** A new alarm reloads the day's alarms after this quiet time (alarms come in bursts: start, picture, end). */
export const ALARM_REFRESH_DEBOUNCE_MS = 1_000;

/**
 * Loads of a day the recordings panel tries before playing in it (`showDay`): another load may overtake one (a segment
 * confirmed meanwhile reloads the day), leaving no listing drawn to play from.
 */
export const SHOW_DAY_TRIES = 3;

/** The document event by which another part of the camera page (its Alarms card) asks the recordings panel to play from an alarm. */
export const PLAY_ALARM_EVENT = 'h627:play-alarm';

/** What {@link PLAY_ALARM_EVENT} carries. */
export interface PlayAlarmDetail {
  deviceId: string;
  id: string;
  channel: number;
  /** When it arrived, epoch seconds (its day is the one to show). */
  at: number;
}

/**
 * A "Play from the alarm" button for an alarm listed elsewhere on the camera page: the recordings panel shows the
 * alarm's day and plays from before it.
 */
export function playAlarmButton(deviceId: string, a: { id: string; channel: number; type: number; received_at: string }): HTMLElement {
  const detail: PlayAlarmDetail = { deviceId, id: a.id, channel: a.channel, at: Date.parse(a.received_at) / 1000 };
  const play = () => {
    document.dispatchEvent(new CustomEvent(PLAY_ALARM_EVENT, { detail }));
    document.getElementById('recordings')?.scrollIntoView({ block: 'start' });
  };
  const name = words(ALARM_TYPES[a.type as keyof typeof ALARM_TYPES]?.name ?? `type ${a.type}`);
  const label = `Play from the ${name} alarm at ${fmtClock(detail.at)}`;
  return h('div', { class: 'alarm-play' }, h('button', { type: 'button', class: 'small', 'aria-label': label, onclick: play }, 'Play from the alarm'));
}

/** The alarm section of the recordings panel. */
export interface AlarmSection {
  el: HTMLElement;
  /** Load the alarms of a day's range on a channel (marks and list). */
  load(range: { from: number; to: number }, channel: number): Promise<void>;
  /** A transition of one of the device's actors: a new alarm on its pu, or a detection, reloads the list. */
  transition(t: TransitionFeedEvent): void;
  /** Play from an alarm or a detection (ALARM_PREROLL_S before it). */
  play(a: AlarmMark): void;
  /** Play what the page's link asks for (`?play=<epoch s>&ch=<channel>`, from the detections page), once. */
  playLinked(): Promise<void>;
  /** The alarm-recording setting (loaded once the feed is ready). */
  loadSetting(): Promise<void>;
  stop(): void;
}

/** In words: `motion`, `bell ring`. */
const words = (name: string) => name.replaceAll('_', ' ');

/**
 * Create the alarm section for a device. `mark` puts the alarms on the timeline; `play` plays from a time (the
 * recordings panel's playFrom: a time with nothing recorded plays from the next recording).
 */
export function createAlarmSection(
  deviceId: string,
  mark: (marks: AlarmMark[]) => void,
  play: (t: number, note: string) => void,
  panel: { channel(): number; showDay(t: number): Promise<{ from: number; to: number }> },
): AlarmSection {
  const enc = encodeURIComponent(deviceId);
  let alarms: TimelineAlarm[] = [];
  /** The day's detections that found something (purple marks). */
  let detected: AlarmMark[] = [];
  let last: { range: { from: number; to: number }; channel: number } | undefined;
  /** The last alarm a pu transition told of (each reloads the list once). */
  let lastAlarmId: string | undefined;
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const rows = h('tbody');
  const summary = h('p', { class: 'muted small', 'data-testid': 'alarm-summary' });
  const listStatus = statusLine();
  const table = h(
    'div',
    { class: 'table-wrap stretches', hidden: true },
    h(
      'table',
      { 'data-testid': 'day-alarms' },
      h('caption', { class: 'visually-hidden' }, 'Alarms of the day'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Time'),
          h('th', { scope: 'col' }, 'Alarm'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
        ),
      ),
      rows,
    ),
  );

  const playAlarm = (a: Pick<AlarmMark, 't' | 'name' | 'kind'>) =>
    play(a.t - ALARM_PREROLL_S, `The ${markWords({ ...a, name: words(a.name), id: '' })} at ${fmtClock(a.t)}: playing from ${ALARM_PREROLL_S} s before it.`);

  const draw = () => {
    const starts = alarms.filter((a) => a.state !== 'end');
    mark([...starts.map((a) => ({ id: a.id, t: a.t, name: words(a.name) })), ...detected]);
    summary.textContent = starts.length
      ? `${starts.length} ${starts.length === 1 ? 'alarm' : 'alarms'} on this day, marked in red on the timeline.`
      : 'No alarms on this day.';
    const rowOf = (a: TimelineAlarm) =>
      h(
        'tr',
        {},
        h('td', {}, fmtClock(a.t)),
        h('td', {}, `${words(a.name)} ${a.state}${a.desc ? ` · ${a.desc}` : ''}`),
        h(
          'td',
          { class: 'actions' },
          h(
            'button',
            { type: 'button', 'aria-label': `Play from the ${words(a.name)} alarm at ${fmtClock(a.t)}`, onclick: () => playAlarm(a) },
            'Play from the alarm',
          ),
        ),
      );
    replace(rows, ...starts.slice(-ALARM_ROWS_MAX).reverse().map(rowOf));
    table.hidden = starts.length === 0;
  };

  const load = async (range: { from: number; to: number }, channel: number) => {
    last = { range, channel };
    const mine = ++generation;
    const url = `/api/devices/${enc}/channels/${channel}/alarms?from=${range.from}&to=${range.to}`;
    const r = await act(null, listStatus, () => api<{ alarms: TimelineAlarm[]; truncated: boolean }>(url), { waiting: 'Loading the alarms…', done: '' });
    if (!r || mine !== generation) return;
    alarms = r.alarms;
    detected = await dayDetections(deviceId, channel, range).catch(() => []);
    if (mine !== generation) return;
    draw();
    if (r.truncated) summary.textContent += ' (more than one listing holds: the first ones are shown)';
  };

  // ── the alarm-triggered recording setting ──
  const enabled = h('input', { type: 'checkbox', name: 'alarm_recording' });
  const recordS = h('input', { type: 'number', name: 'record_s', step: 1, inputmode: 'numeric', required: true });
  const prerecordS = h('input', { type: 'number', name: 'prerecord_s', min: 0, step: 1, inputmode: 'numeric' });
  const saveBtn = h('button', { type: 'submit' }, 'Save');
  const settingStatus = statusLine();
  const settingText = h('p', { class: 'muted small', 'data-testid': 'alarm-recording' });
  const form = h(
    'form',
    { class: 'row' },
    h('div', { class: 'field check' }, h('label', {}, enabled, ' Record after each alarm')),
    field('Seconds after the last alarm', recordS),
    field('Camera pre-recording (s)', prerecordS, 'What the camera keeps from before the alarm (StartRecord prerecord_seconds), where it supports it.'),
    saveBtn,
  );
  const showSetting = (v: AlarmRecordingView) => {
    enabled.checked = v.enabled;
    recordS.min = String(v.record_s_min);
    recordS.max = String(v.record_s_max);
    prerecordS.max = String(v.prerecord_s_max);
    recordS.value = String(v.record_s ?? Math.max(v.record_s_min, ALARM_RECORD_S_SUGGESTED));
    prerecordS.value = String(v.prerecord_s);
    recordS.disabled = prerecordS.disabled = !v.enabled;
    settingText.textContent = v.enabled
      ? `On: an alarm on a channel that is not recording starts a recording of ${v.record_s} s, and each later alarm extends it${v.prerecord_s ? ` (with the camera's ${v.prerecord_s} s before it)` : ''}. Set by ${v.set_by ?? 'someone'}, ${fmtTime(v.set_at)}.`
      : 'Off: alarms do not start recordings.';
  };
  enabled.addEventListener('change', () => {
    recordS.disabled = prerecordS.disabled = !enabled.checked;
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = enabled.checked ? { enabled: true, record_s: Number(recordS.value), prerecord_s: Number(prerecordS.value || 0) } : { enabled: false };
    const v = await act(saveBtn, settingStatus, () => api<AlarmRecordingView>(`/api/devices/${enc}/alarm-recording`, { method: 'PUT', body }), {
      waiting: 'Saving…',
      done: (r) => (r.enabled ? `Saved: each alarm records ${r.record_s} s.` : 'Saved: alarms no longer start recordings.'),
    });
    if (v) showSetting(v);
  });

  // An alarm from the page's Alarms card: its day is shown (and its alarms loaded), then it plays.
  const onPlayAlarm = async (e: Event) => {
    const d = (e as CustomEvent<PlayAlarmDetail>).detail;
    if (d.deviceId !== deviceId) return;
    const found = () => alarms.find((a) => a.id === d.id);
    if (d.channel !== panel.channel()) {
      replace(listStatus, `That alarm is on channel ${d.channel}: choose channel ${d.channel} above to play it.`);
      listStatus.className = 'status error';
      return;
    }
    if (!found()) await load(await panel.showDay(d.at), d.channel);
    const a = found();
    if (a) playAlarm(a);
  };
  document.addEventListener(PLAY_ALARM_EVENT, onPlayAlarm);

  const el = h(
    'div',
    { class: 'alarm-section' },
    h('h3', {}, 'Alarms'),
    summary,
    listStatus,
    table,
    h('h3', {}, 'Record on alarm'),
    settingText,
    form,
    settingStatus,
  );

  return {
    el,
    load,
    play: playAlarm,
    playLinked: () =>
      playLinked(
        panel,
        (t) => play(t - ALARM_PREROLL_S, `The detection at ${fmtClock(t)}: playing from ${ALARM_PREROLL_S} s before it.`),
        (m) => replace(listStatus, m),
      ),
    transition: (t) => {
      if (!last) return;
      // a new alarm on the pu, or a new detection of the channel's detector (it may come seconds after its alarm)
      const ctx = t.context as { lastAlarm?: { alarmId?: string }; last?: { eventId?: string }; channel?: number } | undefined;
      const id = t.type === 'pu' ? ctx?.lastAlarm?.alarmId : t.type === 'detector' && ctx?.channel === last.channel ? ctx.last?.eventId : undefined;
      if (!id || id === lastAlarmId || alarms.some((a) => a.id === id) || detected.some((d) => d.id === id)) return;
      lastAlarmId = id;
      clearTimeout(timer);
      const l = last;
      timer = setTimeout(() => void load(l.range, l.channel), ALARM_REFRESH_DEBOUNCE_MS);
    },
    loadSetting: async () => {
      const v = await act(null, settingStatus, () => api<AlarmRecordingView>(`/api/devices/${enc}/alarm-recording`), { waiting: 'Loading…', done: '' });
      if (v) showSetting(v);
    },
    stop: () => {
      clearTimeout(timer);
      document.removeEventListener(PLAY_ALARM_EVENT, onPlayAlarm);
    },
  };
}
