/**
 * What the console offers a camera, read off what it said at login (issue #22 point 4): GetCap's capability set
 * (NOTES 9) and GetDiskInfo's SD card (I.2.31). A camera that has not said (unknown: an older firmware, or not
 * answered yet) is offered everything, as before capabilities were asked.
 */
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { DISK_STATE } from '../../../protocol/constants.ts';

type Said = Pick<DeviceStatus, 'capabilities' | 'disk'>;

/** The parts of the camera page a camera may lack. */
export interface Offers {
  /** The PTZ pad and presets (GetCap `ptz`). */
  ptz: boolean;
  /** SD-card features: formatting, and playing what the card recorded (GetDiskInfo: a card is in). */
  sdCard: boolean;
}

/** What to offer: only what the camera can do, everything while unknown. */
export function offers(d: Said): Offers {
  return { ptz: d.capabilities?.ptz ?? true, sdCard: d.disk ? d.disk.state !== DISK_STATE.no_card : true };
}

/** Capability flags shown by name, in this order (NOTES 9). */
const NAMED: Array<[keyof NonNullable<DeviceStatus['capabilities']>, string]> = [
  ['ptz', 'PTZ'],
  ['battery', 'battery'],
  ['https', 'https'],
  ['cloud_record', 'cloud recording'],
  ['audio_out', 'audio out'],
  ['voice_out', 'two-way talk'],
  ['trace', 'motion tracking'],
  ['video_encrypt', 'video encryption'],
  ['switch', 'channel switch'],
  ['led', 'LED'],
  ['auto_reboot', 'auto reboot'],
];

/** "PTZ, https, LED · alarms: motion, body" or "unknown (the camera did not say)". */
export function capabilityText(d: Said): string {
  const c = d.capabilities;
  if (!c) return 'unknown (the camera did not say)';
  const flags = NAMED.filter(([k]) => c[k] === true).map(([, name]) => name);
  const alarms = Object.entries(c.alarms)
    .filter(([, on]) => on)
    .map(([k]) => k);
  return `${flags.join(', ') || 'none'}${alarms.length ? ` · alarms: ${alarms.join(', ')}` : ''}`;
}

/** "battery: may sleep", "mains" or "unknown". */
export function powerText(d: Said): string {
  if (!d.capabilities) return 'unknown';
  return d.capabilities.battery ? 'battery: may sleep' : 'mains';
}

/** "none", "normal, 18432 of 29819 MB free", "exception", "formatting" or "unknown". */
export function sdCardText(d: Said): string {
  if (!d.disk) return 'unknown';
  if (d.disk.state === DISK_STATE.no_card) return 'none';
  const name = Object.entries(DISK_STATE).find(([, v]) => v === d.disk!.state)?.[0] ?? `state ${d.disk.state}`;
  return d.disk.total !== undefined ? `${name}, ${d.disk.free ?? '?'} of ${d.disk.total} MB free` : name;
}
