/**
 * Alarms and pictures (AlarmNotify, Snapshot; H.627.2 I.2.16, I.2.22, NOTES 2, 18, 19): alarm flags
 * for Keepalive, AlarmNotify with the alarm picture PUT to `pic_upload_url` when the platform wants
 * one, and Snapshot's upload-then-answer.
 * @module
 */
import { ALARM_TYPES, alarmFlagMask, VD_ERR, type AlarmNotifyParams, type AlarmNotifyResp, type AlarmType } from '../protocol/index.ts';
import { errorText, type DeviceHttp } from './http.ts';
import { VdFault } from './vd-fault.ts';
import type { Uplink } from './vd-session.ts';

/** AlarmNotify `state`. */
export type AlarmState = AlarmNotifyParams['state'];

/** What raising an alarm did. */
export interface AlarmOutcome {
  params: AlarmNotifyParams;
  resp: AlarmNotifyResp;
  /** The alarm picture, when the platform asked for one. */
  picture?: { url: string; bytes: number; uploaded: boolean; error?: string };
}

/** What alarms need from the camera. */
export interface AlarmHost {
  http: DeviceHttp;
  uplink(): Uplink | undefined;
  /** The channel's flag word (checked to exist). */
  flags(channel: number): { alarm: number };
  picture(channel: number): Promise<Uint8Array<ArrayBuffer>>;
  nowS(): number;
  log(line: string): void;
}

/** The default AlarmNotify state of a type: start for "state" types, pulse for "single" ones (NOTES 18). */
export function defaultAlarmState(type: AlarmType): AlarmState {
  return ALARM_TYPES[type].kind === 'state' ? 'start' : 'pulse';
}

/**
 * Raise (or end) an alarm: the Keepalive flag follows start/end (NOTES 2), AlarmNotify goes to
 * the platform, and the picture is uploaded when the answer carries `pic_upload_url`. Rejects when
 * the device is offline (the flag is still kept for the next Keepalive).
 */
export async function raiseAlarm(host: AlarmHost, type: AlarmType, state: AlarmState, channel: number, desc: string): Promise<AlarmOutcome> {
  const word = host.flags(channel);
  if (state === 'start') word.alarm |= alarmFlagMask(type);
  if (state === 'end') word.alarm &= ~alarmFlagMask(type);
  const uplink = host.uplink();
  if (uplink === undefined) throw new Error(`offline: AlarmNotify ${ALARM_TYPES[type].name} ${state} not sent`);
  const params: AlarmNotifyParams = { channel, timestamp: host.nowS(), type, state, desc };
  const resp = await uplink.request('AlarmNotify', params);
  host.log(`alarm ${ALARM_TYPES[type].name} ${state} on channel ${channel}${resp.pic_upload_url ? ', picture wanted' : ''}`);
  if (resp.pic_upload_url === undefined) return { params, resp };
  const bytes = await host.picture(channel);
  try {
    await host.http.put(resp.pic_upload_url, bytes, 'image/jpeg');
    return { params, resp, picture: { url: resp.pic_upload_url, bytes: bytes.byteLength, uploaded: true } };
  } catch (err) {
    host.log(`alarm picture upload failed: ${errorText(err)}`);
    return { params, resp, picture: { url: resp.pic_upload_url, bytes: bytes.byteLength, uploaded: false, error: errorText(err) } };
  }
}

/** Snapshot (I.2.22, NOTES 19): take the picture, PUT it, and only then answer `{}`. */
export async function snapshot(host: Pick<AlarmHost, 'http' | 'picture' | 'log'>, channel: number, url: string): Promise<Record<string, never>> {
  const bytes = await host.picture(channel);
  try {
    await host.http.put(url, bytes, 'image/jpeg');
  } catch (err) {
    throw new VdFault(VD_ERR.SERVER_ERROR, `snapshot upload failed: ${errorText(err)}`);
  }
  host.log(`snapshot of channel ${channel} uploaded (${bytes.byteLength} bytes)`);
  return {};
}
