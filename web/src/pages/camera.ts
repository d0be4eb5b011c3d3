/**
 * One camera: live video and recordings (camera/live.ts, camera/recordings.ts), PTZ, snapshot,
 * alarms with their pictures, device status (DevStatus, disk, time), configuration, firmware
 * upgrade with progress, reboots and logs.
 * The status is kept live by the event feed.
 */
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { ALARM_TYPES, DISK_STATE } from '../../../protocol/constants.ts';
import { api, rpc } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { card, field, fmtRelative, fmtTime, h, localDateTime, pretty, replace } from '../dom.ts';
import { openFeed, type DeviceFeedStatus } from '../feed.ts';
import type { Page } from '../page.ts';
import { batteryText, channelStateText, connectionLostLine, refreshLost, stateBadge } from '../camera/status.ts';
import { capabilityText, offers, powerText, sdCardText } from '../camera/capabilities.ts';
import { mountPtz } from '../camera/ptz.ts';
import { mountConfig } from '../camera/config-form.ts';
import { mountDetection, mountLive, mountRecordings, mountSdCard, playAlarmButton, type PanelContext } from '../camera/slots.ts';
import { mountShare } from '../camera/share.ts';

/** The device log's default end: a little after the click, so that what the camera logs meanwhile is in. */
const LOG_END_AHEAD_MS = 60_000;
/** How often the "last seen" and "counts as offline in … s" texts are recounted (local clock only). */
const LOST_TICK_MS = 1_000;

/** An alarm as `GET /api/devices/:id/alarms` lists it. */
type Alarm = { id: string; channel: number; type: number; state: string; desc: string | null; received_at: string; picture: string | null };

export const cameraPage: Page = (root, ctx) => {
  const id = ctx.params[0]!;
  const enc = encodeURIComponent(id);
  const cleanups: Array<() => void> = [];
  let status: DeviceFeedStatus | DeviceStatus | undefined;
  let lastAlarmId: string | undefined;
  let pendingLog: string | undefined;

  // ── header and channel choice ──
  const badge = h('span');
  const reason = h('p', { class: 'muted' });
  const lost = [h('div'), h('div'), h('div')] as const; // connection lost (state still online): header, live and recording cards
  const channelSel = h('select', { name: 'channel' });
  const channelListeners: Array<(ch: number) => void> = [];
  channelSel.addEventListener('change', () => {
    for (const f of channelListeners) f(Number(channelSel.value));
  });
  const panel: PanelContext = { deviceId: id, channel: () => Number(channelSel.value || 0), onChannel: (f) => channelListeners.push(f) };
  const head = h(
    'div',
    { class: 'page-head' },
    h('h1', { tabindex: '-1' }, id),
    badge,
    ctx.session?.role === 'admin' ? h('a', { href: `/actors/${encodeURIComponent(`pu:${id}`)}`, 'data-link': true, class: 'small' }, 'pu actor →') : null,
  );

  const share = mountShare({ head, root, deviceId: id, cleanups, navigate: ctx.navigate });
  // ── status facts ──
  const facts = h('dl', { class: 'facts wide' });
  const upgradeBar = h('progress', { max: 100, value: 0, 'aria-label': 'Firmware upgrade progress' });
  const upgradeText = h('span', { class: 'muted' });

  const drawStatus = (d: DeviceFeedStatus | DeviceStatus) => {
    status = d;
    share.role(d);
    replace(badge, stateBadge(d));
    for (const holder of lost) replace(holder, connectionLostLine(d));
    reason.textContent = `${d.reason || '—'} (since ${fmtTime(d.since)})`;
    const current = channelSel.value;
    if (channelSel.options.length !== d.channels.length) {
      replace(channelSel, ...d.channels.map((c) => h('option', { value: c }, `Channel ${c}`)));
      if (current && d.channels.includes(Number(current))) channelSel.value = current;
      // The panels started on channel 0 before the list came: tell them when that was not the one.
      if (channelSel.value !== (current || '0')) for (const f of channelListeners) f(Number(channelSel.value));
    }
    replace(
      facts,
      h('dt', {}, 'Connected'),
      h('dd', {}, d.connected ? 'yes' : 'no'),
      h('dt', {}, 'Last seen'),
      h('dd', { title: fmtTime(d.last_seen) }, fmtRelative(d.last_seen)),
      h('dt', {}, 'Battery'),
      h('dd', {}, batteryText(d.battery)),
      h('dt', {}, 'Power'),
      h('dd', {}, powerText(d)),
      h('dt', {}, 'SD card'),
      h('dd', {}, sdCardText(d)),
      h('dt', {}, 'Capabilities'),
      h('dd', {}, capabilityText(d)),
      h('dt', {}, 'Last heartbeat'),
      h('dd', { title: fmtTime(d.last_heartbeat), 'data-testid': 'last-heartbeat' }, d.last_heartbeat ? fmtRelative(d.last_heartbeat) : '—'),
      h('dt', {}, 'Firmware'),
      h('dd', {}, d.firmware_model ?? '—'),
      h('dt', {}, 'Hardware'),
      h('dd', {}, d.hardware_model ?? '—'),
      h('dt', {}, 'Channels'),
      h('dd', {}, d.channels.map((c) => `${c}: ${channelStateText(d, c)}`).join(', ')),
      h('dt', {}, 'Active alarms'),
      h(
        'dd',
        {},
        d.active_alarms.length
          ? d.active_alarms.map((a) => `${ALARM_TYPES[a.type as keyof typeof ALARM_TYPES]?.name ?? a.type} on ${a.channel}`).join(', ')
          : 'none',
      ),
    );
    // Only what the camera can do (it said so at login); everything while unknown.
    const can = offers(d);
    ptzSec.hidden = !can.ptz;
    formatBtn.hidden = !can.sdCard;
    const u = d.upgrade;
    upgradeBar.value = u?.progress ?? 0;
    upgradeText.textContent = u ? `${u.firmwareModel}: ${u.status}${u.error ? ` (${u.error})` : ''}, ${u.progress} %` : 'No upgrade yet.';
    const feed = d as DeviceFeedStatus;
    if (feed.last_alarm && feed.last_alarm.alarmId !== lastAlarmId) {
      lastAlarmId = feed.last_alarm.alarmId;
      void loadAlarms();
    }
    if (pendingLog && feed.last_log?.transId === pendingLog) showLog(feed.last_log.transId, feed.last_log.status, feed.last_log.size);
  };

  // ── snapshot ──
  const snapStatus = statusLine();
  const snapImg = h('img', { alt: 'Snapshot', class: 'snapshot', hidden: true });
  const snapBtn = h('button', { type: 'button', class: 'primary' }, 'Take a snapshot');
  snapBtn.addEventListener('click', async () => {
    const r = await act(snapBtn, snapStatus, () => rpc(id, 'Snapshot', { channel: panel.channel() }), {
      waiting: 'Taking a snapshot…',
      done: 'Snapshot taken.',
    });
    if (!r?.snapshot_id) return;
    snapImg.src = `/api/devices/${enc}/snapshots/${encodeURIComponent(String(r.snapshot_id))}`;
    snapImg.alt = `Snapshot of channel ${panel.channel()} at ${new Date().toLocaleTimeString()}`;
    snapImg.hidden = false;
  });

  // ── alarms ──
  const alarmList = h('ul', { class: 'alarms', 'aria-label': 'Alarms' });
  const alarmStatus = statusLine();
  const loadAlarms = async () => {
    const r = await act(null, alarmStatus, () => api<{ alarms: Alarm[] }>(`/api/devices/${enc}/alarms?limit=20`), {
      waiting: 'Loading alarms…',
      done: (v) => (v.alarms.length ? '' : 'No alarms.'),
    });
    if (!r) return;
    replace(
      alarmList,
      ...r.alarms.map((a) =>
        h(
          'li',
          {},
          a.picture
            ? h(
                'a',
                { href: a.picture, target: '_blank', rel: 'noopener' },
                h('img', {
                  src: a.picture,
                  alt: `Picture of the ${ALARM_TYPES[a.type as keyof typeof ALARM_TYPES]?.name ?? ''} alarm`,
                  loading: 'lazy',
                  class: 'thumb',
                }),
              )
            : h('span', { class: 'thumb none' }, 'no picture'),
          h(
            'div',
            {},
            h('strong', {}, ALARM_TYPES[a.type as keyof typeof ALARM_TYPES]?.name ?? `type ${a.type}`),
            ` ${a.state} on channel ${a.channel}`,
            playAlarmButton(id, a), // plays it in the recordings panel (camera/alarms.ts)
            h('small', { class: 'muted' }, `${fmtTime(Date.parse(a.received_at))}${a.desc ? ` · ${a.desc}` : ''}`),
          ),
        ),
      ),
    );
  };

  // ── device status: DevStatus, disk, time ──
  const devStatus = statusLine();
  const devOut = h('pre', { class: 'json', hidden: true });
  const devBtn = h('button', { type: 'button' }, 'Ask the camera (DevStatus)');
  devBtn.addEventListener('click', async () => {
    const r = await act(devBtn, devStatus, () => rpc(id, 'DevStatus'), { waiting: 'Asking the camera…', done: 'The camera answered.' });
    if (r) {
      devOut.textContent = pretty(r.resp);
      devOut.hidden = false;
    }
  });
  const diskStatus = statusLine();
  const diskBtn = h('button', { type: 'button' }, 'Disk (GetDiskInfo)');
  const formatBtn = h('button', { type: 'button', class: 'danger', 'data-needs': 'owner' }, 'Format the SD card');
  const diskName = (s: number) =>
    Object.entries(DISK_STATE)
      .find(([, v]) => v === s)?.[0]
      ?.replace('_', ' ') ?? `state ${s}`;
  const readDisk = (b: HTMLButtonElement | null) =>
    act(b, diskStatus, () => rpc<{ state: number; total?: number; free?: number }>(id, 'GetDiskInfo'), {
      waiting: 'Reading the disk…',
      done: (r) => `Disk: ${diskName(r.resp!.state)}${r.resp!.total !== undefined ? `, ${r.resp!.free ?? '?'} of ${r.resp!.total} MB free` : ''}.`,
    });
  diskBtn.addEventListener('click', () => void readDisk(diskBtn));
  formatBtn.addEventListener('click', async () => {
    if (!confirm("Format the camera's SD card? Everything on it is lost.")) return;
    if (await act(formatBtn, diskStatus, () => rpc(id, 'FormatDisk'), { waiting: 'Asking to format…', done: 'Formatting started.' })) await readDisk(null);
  });
  const timeStatus = statusLine();
  const timeBtn = h('button', { type: 'button' }, 'Camera time (QueryTime)');
  timeBtn.addEventListener(
    'click',
    () =>
      void act(timeBtn, timeStatus, () => rpc<{ datetime: string; tz?: number }>(id, 'QueryTime'), {
        waiting: 'Asking the time…',
        done: (r) =>
          `Camera time: ${r.resp!.datetime}${r.resp!.tz !== undefined ? ` (UTC${r.resp!.tz >= 0 ? '+' : ''}${r.resp!.tz})` : ''}; this computer: ${localDateTime(new Date())}.`,
      }),
  );
  const setTimeBtn = h('button', { type: 'button', 'data-needs': 'owner' }, "Set to this computer's time");
  setTimeBtn.addEventListener('click', () => {
    const now = new Date();
    // I.2.9 carries the zone as whole hours: a zone such as UTC+5:30 goes as the nearest hour
    // (the clock itself is set to this computer's local time exactly), and the page says so.
    const zoneH = -now.getTimezoneOffset() / 60;
    const tz = Math.round(zoneH);
    const done = tz === zoneH ? 'Time set.' : `Time set; the zone went as UTC${tz >= 0 ? '+' : ''}${tz} (the protocol carries whole hours).`;
    void act(setTimeBtn, timeStatus, () => rpc(id, 'Settime', { datetime: localDateTime(now), tz, offset: 0 }), { waiting: 'Setting the time…', done });
  });

  // ── firmware ──
  const fwModel = h('input', { name: 'firmware_model', required: true, maxlength: 128 });
  const fwUrl = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://…/firmware.bin' });
  const fwStatus = statusLine();
  const fwBtn = h('button', { type: 'submit', class: 'primary' }, 'Upgrade');
  const fwForm = h('form', { class: 'grid-form' }, field('Firmware version', fwModel), field('Download URL', fwUrl), h('div', { class: 'row' }, fwBtn));
  fwForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(fwBtn, fwStatus, () => rpc(id, 'UpgradeFirmware', { firmware_model: fwModel.value.trim(), url: fwUrl.value.trim() }, 'event'), {
      waiting: 'Sending the upgrade…',
      done: 'Upgrade sent; progress follows below.',
    });
  });

  // ── maintenance: reboots, logs ──
  const mStatus = statusLine();
  const rebootBtn = h('button', { type: 'button', class: 'danger' }, 'Reboot the camera');
  rebootBtn.addEventListener('click', () => {
    if (confirm(`Reboot ${id}?`))
      void act(rebootBtn, mStatus, () => rpc(id, 'RebootDevice', undefined, 'event'), {
        waiting: 'Sending reboot…',
        done: 'Rebooting; the camera comes back by itself.',
      });
  });
  const rebootChBtn = h('button', { type: 'button' }, 'Reboot this channel');
  rebootChBtn.addEventListener('click', () => {
    const ch = panel.channel();
    if (confirm(`Reboot channel ${ch}?`))
      void act(rebootChBtn, mStatus, () => rpc(id, 'RebootChannel', { channel: ch }, 'event'), { waiting: 'Sending…', done: `Channel ${ch} is rebooting.` });
  });
  const dayAgo = new Date(Date.now() - 86_400_000);
  const logFrom = h('input', { type: 'datetime-local', name: 'start', value: localDateTime(dayAgo).slice(0, 16), step: 1 });
  const logTo = h('input', { type: 'datetime-local', name: 'end', value: localDateTime(new Date(Date.now() + LOG_END_AHEAD_MS)), step: 1 });
  // Until someone picks an end, the log goes up to the moment of the click (the page may have been open a while).
  let logToChosen = false;
  logTo.addEventListener('change', () => (logToChosen = true));
  const logStatus = statusLine();
  const logLink = h('p', { class: 'log-link' });
  const logBtn = h('button', { type: 'button' }, 'Upload the log');
  const showLog = (transId: string, st: string, size: number) => {
    pendingLog = undefined;
    if (st === 'success') {
      replace(
        logLink,
        h('a', { href: `/api/devices/${enc}/logs/${encodeURIComponent(transId)}`, download: `${id}-${transId}.log` }, `Download the log (${size} bytes)`),
      );
      replace(logStatus, 'The log is uploaded.');
      logStatus.className = 'status ok';
    } else {
      replace(logStatus, `The camera could not upload its log (${st}).`);
      logStatus.className = 'status error';
    }
  };
  logBtn.addEventListener('click', async () => {
    if (!logToChosen) logTo.value = localDateTime(new Date(Date.now() + LOG_END_AHEAD_MS));
    const r = await act(
      logBtn,
      logStatus,
      async () => {
        // The camera reads the range as times of its own clock, in its own zone, as it stamps its log
        // (I.2.29 names no zone): this computer's times move by how far the camera's clock is from this one.
        const t = await rpc<{ datetime: string }>(id, 'QueryTime');
        const aheadMs = Date.parse(`${t.resp!.datetime}Z`) - Date.now();
        const onCamera = (v: string) => {
          const at = new Date(v).getTime(); // a datetime-local value is this computer's local time
          if (Number.isNaN(at)) throw new Error('Choose the start and the end of the log.');
          return new Date(at + aheadMs).toISOString().slice(0, 19);
        };
        return rpc(id, 'LogUploadAsync', { start: onCamera(logFrom.value), end: onCamera(logTo.value) });
      },
      {
        waiting: 'Asking for the log…',
        done: 'The camera is uploading its log…',
      },
    );
    if (r?.trans_id) {
      pendingLog = String(r.trans_id);
      replace(logLink);
      const l = (status as DeviceFeedStatus | undefined)?.last_log;
      if (l?.transId === pendingLog) showLog(l.transId, l.status, l.size);
    }
  });

  // ── the page ──
  const liveSec = card('Live', 'live', lost[1]);
  const recSec = card('Recordings', 'recordings', lost[2]);
  const sdSec = card('SD card', 'sdcard');
  const ptzSec = card('Pan, tilt, zoom', 'ptz');
  root.append(
    head,
    reason,
    lost[0],
    h('div', { class: 'row channel-row' }, field('Channel', channelSel)),
    h(
      'div',
      { class: 'cards' },
      liveSec,
      sdSec,
      ptzSec,
      card('Snapshot', 'snapshot', h('div', { class: 'row' }, snapBtn), snapStatus, snapImg),
      recSec,
      card('Alarms', 'alarms', alarmStatus, alarmList),
      card('Detection', 'detection'),
      card(
        'Status',
        'status',
        facts,
        h('div', { class: 'row' }, devBtn),
        devStatus,
        devOut,
        h('div', { class: 'row' }, diskBtn, formatBtn),
        diskStatus,
        h('div', { class: 'row' }, timeBtn, setTimeBtn),
        timeStatus,
      ),
      card('Configuration', 'config'),
      card('Firmware', 'firmware', h('div', { class: 'progress-row' }, upgradeBar, upgradeText), fwForm, fwStatus),
      card(
        'Maintenance',
        'maintenance',
        h('div', { class: 'row' }, rebootBtn, rebootChBtn),
        mStatus,
        h('h3', {}, 'Device log'),
        h('div', { class: 'row' }, field('From', logFrom), field('To', logTo), logBtn),
        logStatus,
        logLink,
      ),
    ),
  );
  mountPtz(ptzSec, id, panel.channel);
  mountConfig(root.querySelector('#config')!, id);
  mountDetection(root.querySelector('#detection')!, panel);
  cleanups.push(mountLive(liveSec, panel), mountRecordings(recSec, panel), mountSdCard(sdSec, panel));

  const load = async () => {
    try {
      drawStatus(await api<DeviceStatus>(`/api/devices/${enc}`));
    } catch (err) {
      replace(
        root,
        h('h1', { tabindex: '-1' }, id),
        h('p', { class: 'status error' }, err instanceof Error ? err.message : String(err)),
        h('p', {}, h('a', { href: '/', 'data-link': true }, 'Back to the cameras')),
      );
    }
  };
  cleanups.push(
    openFeed(
      { topic: 'devices', device: id },
      {
        ready: () => void load(),
        device: (d) => {
          if (d.device_id === id) drawStatus(d);
        },
        removed: (gone) => {
          if (gone === id) replace(reason, 'This camera is no longer yours (or no longer provisioned).');
        },
        alarmPicture: (deviceId) => {
          if (deviceId === id) void loadAlarms();
        },
      },
    ),
  );
  void loadAlarms();
  const tick = setInterval(() => {
    if (status) replace(facts.children[3] as HTMLElement, fmtRelative(status.last_seen));
    refreshLost(root);
  }, LOST_TICK_MS);
  cleanups.push(() => clearInterval(tick));
  return () => {
    for (const f of cleanups) f();
  };
};
