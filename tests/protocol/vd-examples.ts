/**
 * Appendix I examples of every Vd message (placeholders filled with plausible values) and, for
 * each, edits that must be rejected with an error naming the field. Typed by VdName, so a message
 * missing here is a compile error, and vd-catalog.test.ts iterates the catalog against it.
 */
import type { VdName } from '../../protocol/index.ts';

/** Why an edited example must be rejected. */
export type Why = 'wrong type' | 'missing' | 'out of range' | 'bad format' | 'not an object';
/** One change to an example: set `path` (dotted; numbers index arrays) to `value`, or remove it. */
export type Edit = { path: string; value?: unknown; drop?: true };
/** An example edited so that validation must fail, and the field path the error must name. */
export type BadCase = { where: 'params' | 'resp'; why: Why; edits: Edit[]; field: string };
/** The example of one message: params (absent for "None"), answer for RPCs, and rejected edits. */
export type VdExample = { params?: unknown; resp?: unknown; bad: BadCase[] };

/** The error path for a dotted example path: `channels.0.state` → `params.channels[0].state`. */
function fieldOf(where: string, path: string): string {
  if (path === '') return where;
  return path.split('.').reduce((out, key) => (/^\d+$/.test(key) ? `${out}[${key}]` : `${out}.${key}`), where);
}

const set = (path: string, value: unknown): Edit => ({ path, value });
const drop = (path: string): Edit => ({ path, drop: true });
const wrongType = (where: BadCase['where'], path: string, value: unknown): BadCase => ({
  where,
  why: 'wrong type',
  edits: [set(path, value)],
  field: fieldOf(where, path),
});
const missing = (where: BadCase['where'], path: string): BadCase => ({ where, why: 'missing', edits: [drop(path)], field: fieldOf(where, path) });
const outOfRange = (where: BadCase['where'], path: string, value: unknown): BadCase => ({
  where,
  why: 'out of range',
  edits: [set(path, value)],
  field: fieldOf(where, path),
});
const badFormat = (where: BadCase['where'], path: string, value: unknown): BadCase => ({
  where,
  why: 'bad format',
  edits: [set(path, value)],
  field: fieldOf(where, path),
});
/** The whole params or answer replaced by something that is not a JSON object. */
const notObject = (where: BadCase['where'], value: unknown): BadCase => ({ where, why: 'not an object', edits: [set('', value)], field: where });
/** A case with several edits, or a field path the dotted path cannot express (record keys). */
const bad = (where: BadCase['where'], why: Why, field: string, ...edits: Edit[]): BadCase => ({ where, why, edits, field });

const MAC = 'a0b1c2d3e4f5';
const FIRMWARE = 'V2.3.1';
const MEDIA_URL = 'https://platform.example.com/media/lullaby.mp3';
const LOG_URL = 'https://platform.example.com/logs/1024';

/** Every Vd message's example. */
export const VD_EXAMPLES: Record<VdName, VdExample> = {
  Keepalive: {
    params: { mac_id: MAC, state: 1, channels: [{ channel: 0, state: 1, stream_id: 'st-0001', record_session: 'rec-0001', alarm: 8 }] },
    resp: {},
    bad: [
      wrongType('params', 'state', '1'),
      outOfRange('params', 'state', 4),
      missing('params', 'channels'),
      missing('params', 'channels.0.channel'),
      wrongType('params', 'channels.0.channel', 'cam0'),
      outOfRange('params', 'channels.0.state', 2),
      outOfRange('params', 'channels.0.alarm', -1),
      wrongType('params', 'channels.0.stream_id', 7),
      badFormat('params', 'mac_id', 'not a mac'),
      notObject('resp', []),
    ],
  },
  GetServerInfo: {
    params: { mac_id: MAC, state: 1 },
    resp: { hibernation: '203.0.113.7:9000', hb_interval: 10, hb_token: 'tk-5f2a9c' },
    bad: [
      outOfRange('params', 'state', 4),
      wrongType('params', 'mac_id', 42),
      notObject('params', 'hello'),
      outOfRange('resp', 'hb_interval', 0),
      wrongType('resp', 'hb_interval', '10'),
      outOfRange('resp', 'hb_token', 'x'.repeat(17)),
      badFormat('resp', 'hibernation', 'hibernation.example.com'),
    ],
  },
  Bind: {
    params: { mac_id: MAC, bind_id: 'K7Q2-9XPA' },
    bad: [missing('params', 'bind_id'), wrongType('params', 'bind_id', 5), outOfRange('params', 'bind_id', '')],
  },
  RebootChannel: {
    params: { channel: 0 },
    bad: [missing('params', 'channel'), wrongType('params', 'channel', '0'), outOfRange('params', 'channel', -1)],
  },
  RebootDevice: { bad: [notObject('params', []), notObject('params', 'now')] },
  Reschedule: { bad: [notObject('params', []), notObject('params', 1)] },
  UpgradeFirmware: {
    params: { firmware_model: FIRMWARE, url: 'https://fw.example.com/hc-c200/V2.3.1.bin' },
    bad: [missing('params', 'url'), wrongType('params', 'firmware_model', 231), badFormat('params', 'url', 'V2.3.1.bin')],
  },
  QueryUpgrade: {
    resp: { upgrade_status: 'downloading', progress: 42, firmware_model: FIRMWARE },
    bad: [
      notObject('params', []),
      outOfRange('resp', 'upgrade_status', 'paused'),
      outOfRange('resp', 'progress', 101),
      outOfRange('resp', 'progress', -1),
      wrongType('resp', 'progress', '42'),
      missing('resp', 'firmware_model'),
    ],
  },
  Settime: {
    params: { datetime: '2022-03-16T08:30:00', tz: 8, offset: 10 },
    resp: {},
    bad: [
      missing('params', 'offset'),
      missing('params', 'datetime'),
      outOfRange('params', 'offset', -1),
      wrongType('params', 'tz', '+8'),
      outOfRange('params', 'tz', 15),
      badFormat('params', 'datetime', '2022/03/16 08:30:00'),
      notObject('resp', 'ok'),
    ],
  },
  QueryTime: {
    resp: { datetime: '2022-03-16T08:30:05', tz: 8 },
    bad: [notObject('params', []), missing('resp', 'datetime'), badFormat('resp', 'datetime', '2022-02-30T08:30:05'), wrongType('resp', 'tz', 'CST')],
  },
  DevStatus: {
    resp: {
      dev_id: '2009550000011079',
      hardware_model: 'HC-C200',
      firmware_model: FIRMWARE,
      last_upgrade_datetime: '2016-12-05T02:15:32',
      wifi_ssid: 'home-net',
      wifi_signal: 80,
      up_bandwidth: 4_000_000,
      down_bandwidth: 20_000_000,
      ip_addr: '192.168.1.23',
      mac_addr: 'A0:B1:C2:D3:E4:F5',
      battery: 87,
    },
    bad: [
      notObject('params', 'x'),
      missing('resp', 'dev_id'),
      missing('resp', 'last_upgrade_datetime'),
      outOfRange('resp', 'battery', 101),
      wrongType('resp', 'wifi_signal', 'good'),
      outOfRange('resp', 'up_bandwidth', -1),
      badFormat('resp', 'last_upgrade_datetime', '2016-12-05 02:15:32'),
    ],
  },
  PushLive: {
    params: { channel: 0, url: 'srt://mdu.example.com:9000?streamid=#!::r=st-0001,m=publish,t=Zm9vYmFy', stream_id: 'st-0001', max_bitrate: 2_000_000 },
    resp: {},
    bad: [
      missing('params', 'stream_id'),
      missing('params', 'max_bitrate'),
      wrongType('params', 'max_bitrate', '2M'),
      outOfRange('params', 'max_bitrate', -1),
      badFormat('params', 'url', 'not a url'),
      notObject('resp', []),
    ],
  },
  StopLive: {
    params: { stream_id: 'st-0001', channel: 0 },
    resp: {},
    bad: [missing('params', 'channel'), wrongType('params', 'stream_id', 1), outOfRange('params', 'channel', -2), notObject('resp', 'done')],
  },
  StartRecord: {
    params: {
      session_id: 'rec-0001',
      channel: 0,
      max_bitrate: 2_000_000,
      seg_duration: 60,
      seg_max_size: 4_194_304,
      seg_max_count: 3,
      prerecord_seconds: 0,
      start_ts: 1_647_419_400.5,
      cbk_url: 'https://platform.example.com:443/live/cseg/c9f1e2d3a4b5',
    },
    resp: {},
    bad: [
      missing('params', 'cbk_url'),
      missing('params', 'session_id'),
      wrongType('params', 'start_ts', '1647419400'),
      outOfRange('params', 'seg_duration', 0),
      outOfRange('params', 'prerecord_seconds', -5),
      outOfRange('params', 'cbk_url', `https://platform.example.com/live/cseg/${'c'.repeat(230)}`),
      notObject('resp', []),
    ],
  },
  StopRecord: {
    params: { session_id: 'rec-0001', channel: 0 },
    resp: {},
    bad: [missing('params', 'session_id'), wrongType('params', 'channel', null), outOfRange('params', 'session_id', ''), notObject('resp', 0)],
  },
  AlarmNotify: {
    params: { channel: 0, timestamp: 1_647_419_400, type: 3, state: 'start', desc: 'motion detected' },
    resp: { pic_upload_url: 'https://platform.example.com/alarm/pic/7f3a' },
    bad: [
      missing('params', 'desc'),
      missing('params', 'type'),
      outOfRange('params', 'type', 1),
      outOfRange('params', 'type', 13),
      outOfRange('params', 'state', 'begin'),
      wrongType('params', 'timestamp', '1647419400'),
      wrongType('params', 'timestamp', 1.5),
      wrongType('resp', 'pic_upload_url', 5),
      badFormat('resp', 'pic_upload_url', 'picture.jpg'),
    ],
  },
  CtrlPTZ: {
    params: { channel: 0, op: 'left', value: 50 },
    bad: [
      missing('params', 'op'),
      missing('params', 'channel'),
      outOfRange('params', 'op', 'spin'),
      wrongType('params', 'channel', 'zero'),
      outOfRange('params', 'value', 101),
      wrongType('params', 'value', 'fast'),
      bad('params', 'missing', 'params.value', set('op', 'goto_preset'), drop('value')),
      bad('params', 'out of range', 'params.value', set('op', 'set_preset'), set('value', 256)),
      bad('params', 'out of range', 'params.value', set('op', 'zoomin_step'), set('value', 101)),
    ],
  },
  GetPTZPresetList: {
    params: { channel: 0 },
    resp: { presetList: [{ ptzId: 1 }, { ptzId: 2 }] },
    bad: [
      missing('params', 'channel'),
      wrongType('params', 'channel', 1.5),
      missing('resp', 'presetList'),
      wrongType('resp', 'presetList', 'all'),
      outOfRange('resp', 'presetList.0.ptzId', 256),
      missing('resp', 'presetList.1.ptzId'),
    ],
  },
  GetConfig: {
    resp: {
      channls: {
        '0': {
          on: true,
          video_encoding: { encoder: 'h264', quality: 'hd', fps: 25, bitrate: 2_000_000, width: 1920, height: 1080, gop: 50, encrypt: false },
          audio_encoding: { encoder: 'aac', sample_rate: 16_000, bitrate: 32_000, bits_per_sample: 16, sample_per_frame: 1024, channel: 1 },
          image: { horflip: false, verflip: false },
          alarms: { motion: { on: true, sensitivity: 60 }, body: { on: false, sensitivity: 50 } },
          audio_out_volume: 70,
          trace: false,
          switch_schedule: { on: false, start_time: '08:00:00', shutdown_time: '20:00:00', repeat: ['Mon', 'Fri'] },
          osd: { text: 'Front door', font: 1, pos: 'top-left' },
          extension: { ir_mode: 'auto' },
        },
      },
      log_level: 2,
      tz: 8,
      auto_reboot: { on: true, cycle: 604_800, start: '02:00:00', end: '04:00:00', last_reboot: '2022-03-13T02:10:00' },
      led: true,
      extension: {},
    },
    bad: [
      notObject('params', []),
      wrongType('resp', 'led', 'on'),
      outOfRange('resp', 'log_level', 6),
      bad('resp', 'out of range', 'resp.channls["0"].video_encoding.quality', set('channls.0.video_encoding.quality', 'uhd')),
      bad('resp', 'out of range', 'resp.channls["0"].alarms.motion.sensitivity', set('channls.0.alarms.motion.sensitivity', 101)),
      bad('resp', 'bad format', 'resp.channls.front', set('channls', { front: {} })),
      badFormat('resp', 'auto_reboot.start', '2am'),
      notObject('resp', []),
    ],
  },
  SetConfig: {
    params: { channls: { '0': { image: { horflip: true } } }, led: false },
    resp: {},
    bad: [
      wrongType('params', 'led', 1),
      outOfRange('params', 'tz', 15),
      wrongType('params', 'channls', []),
      notObject('params', 'led=off'),
      notObject('resp', 'ok'),
    ],
  },
  ResetConfig: { resp: {}, bad: [notObject('params', []), notObject('resp', [])] },
  Snapshot: {
    params: { channel: 0, url: 'https://platform.example.com/snap/0f3c.jpg' },
    resp: {},
    bad: [missing('params', 'url'), badFormat('params', 'url', 'snap.jpg'), wrongType('params', 'channel', '0'), notObject('resp', [])],
  },
  PlayVideo: {
    params: { channel: 0, url: MEDIA_URL },
    bad: [missing('params', 'url'), outOfRange('params', 'channel', -1), wrongType('params', 'url', 3)],
  },
  CtrlVideo: {
    params: { channel: 0, op: 'pause' },
    bad: [missing('params', 'op'), outOfRange('params', 'op', 'rewind'), wrongType('params', 'channel', true)],
  },
  QueryVideoStatus: {
    params: { channel: 0 },
    resp: { status: 'playing', url: MEDIA_URL },
    bad: [missing('params', 'channel'), missing('resp', 'status'), outOfRange('resp', 'status', 'paused'), wrongType('resp', 'url', 3)],
  },
  KeepAwaken: {
    params: { channel: 0, expired: 300 },
    resp: {},
    bad: [missing('params', 'expired'), outOfRange('params', 'expired', -1), wrongType('params', 'expired', '300'), notObject('resp', [])],
  },
  BatteryChange: {
    params: { battery: 76 },
    bad: [missing('params', 'battery'), outOfRange('params', 'battery', 101), outOfRange('params', 'battery', -1), wrongType('params', 'battery', '76')],
  },
  GetCap: {
    resp: {
      ptz: true,
      battery: false,
      media_protocol: 'srt',
      audio_out: true,
      voice_out: true,
      cloud_record: true,
      trace: false,
      alarms: { io: false, face: false, cry: true, voice: true, motion: true, body: true, cross: false },
      https: true,
      video_encrypt: false,
      switch: true,
      led: true,
      auto_reboot: true,
    },
    bad: [
      notObject('params', []),
      wrongType('resp', 'ptz', 'yes'),
      outOfRange('resp', 'media_protocol', 'hls'),
      wrongType('resp', 'alarms.motion', 1),
      notObject('resp', []),
    ],
  },
  LogUploadAsync: {
    params: { trans_id: 1024, start: '2022-03-16T00:00:00', end: '2022-03-16T08:00:00', url: LOG_URL },
    resp: {},
    bad: [
      missing('params', 'url'),
      missing('params', 'trans_id'),
      wrongType('params', 'trans_id', true),
      outOfRange('params', 'trans_id', ''),
      badFormat('params', 'start', '2022-03-16'),
      notObject('resp', []),
    ],
  },
  LogDone: {
    params: { mac_id: MAC, trans_id: '1024', status: 'success', start: '2022-03-16T00:00:03', end: '2022-03-16T07:59:58', url: LOG_URL, size: 48_213 },
    bad: [
      missing('params', 'trans_id'),
      missing('params', 'size'),
      outOfRange('params', 'status', 'ok'),
      outOfRange('params', 'size', -1),
      wrongType('params', 'size', '48213'),
      badFormat('params', 'end', 'yesterday'),
    ],
  },
  GetDiskInfo: {
    resp: { state: 0, total: 30_436, free: 12_034 },
    bad: [notObject('params', []), missing('resp', 'state'), outOfRange('resp', 'state', 4), outOfRange('resp', 'free', -1), wrongType('resp', 'total', '32G')],
  },
  FormatDisk: { resp: {}, bad: [notObject('params', []), notObject('resp', 'formatting')] },
};

/** A deep copy of `example` with `edits` applied. */
export function applyEdits(example: unknown, edits: readonly Edit[]): unknown {
  let root: unknown = structuredClone(example);
  for (const edit of edits) {
    if (edit.path === '') {
      root = edit.value;
      continue;
    }
    const keys = edit.path.split('.');
    const last = keys.pop() ?? '';
    let node = root as Record<string, unknown>;
    for (const key of keys) node = node[key] as Record<string, unknown>;
    if (edit.drop) delete node[last];
    else node[last] = edit.value;
  }
  return root;
}
