/**
 * Command line of `bun run device`: parse the flags, and derive N device identities from one for
 * load runs (ids ID-0001…, MAC addresses counting up from the given one).
 * @module
 */
import { parseArgs } from 'node:util';
import { Capabilities, normalizeMac } from '../protocol/index.ts';
import type { CapabilityOverrides } from './camera-options.ts';
import { alarmCommand, type Command } from './cli-commands.ts';

/** The usage text. */
export const USAGE = `usage: bun run device --server https://host:port --id ID --password PW --mac MAC
  [--channels N] [--ca FILE | --insecure] [--count N] [--hardware-model X] [--firmware-model Y]
  [--signed-login] [--hb-override S] [--cap NAME=true|false …] [--sd-card] [--battery [--sleep-after S]]
  [--bind CODE] [--alarm TYPE[:start|end|pulse] …] [--picture PHOTO]
  (GetCap, NOTES 9: --cap ptz=false --cap alarms.cry=true; --bind and --alarm act once online; the same as
  typed commands on standard input: bind CODE, alarm motion [start|end|pulse] [CHANNEL], status, help)`;

/** Idle seconds after which a --battery camera sleeps, unless --sleep-after says (simulator's choice). */
export const SLEEP_AFTER_DEFAULT_S = 30;

/** Width of the counter appended to ids when --count > 1 (ID-0001). */
export const ID_COUNTER_DIGITS = 4;
/** MAC addresses are 48-bit numbers. */
const MAC_MAX = 2n ** 48n;

/** Parsed command line. */
export interface CliArgs {
  server: string;
  id: string;
  password: string;
  mac: string;
  channels: number;
  ca?: string;
  insecure: boolean;
  count: number;
  hardwareModel?: string;
  firmwareModel?: string;
  signedLogin: boolean;
  hbOverrideS?: number;
  /** GetCap overrides (`--cap`); the rest keeps the simulator's defaults. */
  capabilities?: CapabilityOverrides;
  /** Has an SD card whose recordings PlayVideo plays (device/sd-card.ts). */
  sdCard: boolean;
  /** A battery camera that sleeps after `sleepAfterS` idle seconds and wakes on TOWAKEUP. */
  battery: boolean;
  sleepAfterS: number;
  /** Once online: send this bind code (Bind, I.2.3), then raise these alarms (device/cli-commands.ts). */
  atStart: Command[];
  /** A photo shown on the test pattern in snapshots, alarm pictures (device/jpeg-overlay.ts) and live video (device/live.ts). */
  picture?: string;
}

/** `--help` was given: print USAGE and exit 0. */
export class HelpRequested extends Error {
  constructor() {
    super('help');
  }
}

/** Parse argv (without `bun` and the script); throws an Error whose message says what is wrong. */
export function parseCliArgs(argv: string[]): CliArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      id: { type: 'string' },
      password: { type: 'string' },
      mac: { type: 'string' },
      channels: { type: 'string', default: '1' },
      ca: { type: 'string' },
      insecure: { type: 'boolean', default: false },
      count: { type: 'string', default: '1' },
      'hardware-model': { type: 'string' },
      'firmware-model': { type: 'string' },
      'signed-login': { type: 'boolean', default: false },
      'hb-override': { type: 'string' },
      cap: { type: 'string', multiple: true },
      'sd-card': { type: 'boolean', default: false },
      battery: { type: 'boolean', default: false },
      'sleep-after': { type: 'string', default: String(SLEEP_AFTER_DEFAULT_S) },
      bind: { type: 'string' },
      alarm: { type: 'string', multiple: true },
      picture: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new HelpRequested();
  const { server, id, password, mac } = values;
  if (!server || !id || !password || !mac) throw new Error('--server, --id, --password and --mac are required');
  if (!URL.canParse(server)) throw new Error(`--server: not a URL: ${server}`);
  if (normalizeMac(mac) === undefined) throw new Error(`--mac: not a MAC address: ${mac}`);
  if (values.ca !== undefined && values.insecure) throw new Error('--ca and --insecure exclude each other');
  const count = positive('--count', values.count);
  if (values.bind !== undefined && count !== 1) throw new Error('--bind: a bind code binds one camera; leave out --count');
  const atStart: Command[] = [
    ...(values.bind === undefined ? [] : [{ kind: 'bind' as const, code: values.bind }]),
    ...(values.alarm ?? []).map((a) => {
      try {
        return alarmCommand([a]);
      } catch (err) {
        throw new Error(`--alarm: ${err instanceof Error ? err.message.replace(/^alarm: /, '') : String(err)}`);
      }
    }),
  ];
  return {
    server,
    id,
    password,
    mac,
    channels: positive('--channels', values.channels),
    ...(values.ca === undefined ? {} : { ca: values.ca }),
    insecure: values.insecure,
    count,
    ...(values['hardware-model'] === undefined ? {} : { hardwareModel: values['hardware-model'] }),
    ...(values['firmware-model'] === undefined ? {} : { firmwareModel: values['firmware-model'] }),
    signedLogin: values['signed-login'],
    sdCard: values['sd-card'],
    ...(values['hb-override'] === undefined ? {} : { hbOverrideS: positive('--hb-override', values['hb-override']) }),
    ...(values.cap === undefined ? {} : { capabilities: capabilityFlags(values.cap) }),
    battery: values.battery,
    ...(values.picture === undefined ? {} : { picture: values.picture }),
    sleepAfterS: positive('--sleep-after', values['sleep-after']),
    atStart,
  };
}

/** The boolean flags of GetCap's set a `--cap` may name (NOTES 9), top level and under `alarms.`. */
const BOOLEAN_CAPS = Object.keys(Capabilities.shape).filter((k) => k !== 'media_protocol' && k !== 'alarms');
const ALARM_CAPS = Object.keys(Capabilities.shape.alarms.unwrap().shape);

/**
 * `--cap NAME=true|false` flags into capability overrides.
 * @example capabilityFlags(['ptz=false', 'alarms.cry=true']) // { ptz: false, alarms: { cry: true } }
 */
export function capabilityFlags(flags: string[]): CapabilityOverrides {
  const out: Record<string, unknown> & { alarms?: Record<string, boolean> } = {};
  for (const flag of flags) {
    const m = /^([a-z_]+)(?:\.([a-z_]+))?=(true|false)$/.exec(flag);
    if (!m) throw new Error(`--cap: expected NAME=true|false or alarms.NAME=true|false, got ${flag}`);
    const [, name, sub, value] = m as unknown as [string, string, string | undefined, string];
    if (sub === undefined ? !BOOLEAN_CAPS.includes(name) : name !== 'alarms' || !ALARM_CAPS.includes(sub)) {
      throw new Error(`--cap: no capability ${sub ? `${name}.${sub}` : name} (one of ${BOOLEAN_CAPS.join(', ')}, alarms.{${ALARM_CAPS.join(',')}})`);
    }
    if (sub === undefined) out[name] = value === 'true';
    else out.alarms = { ...out.alarms, [sub]: value === 'true' };
  }
  return out as CapabilityOverrides;
}

/**
 * The i-th (0-based) device of a run of `count`: the given id and MAC when count is 1, else
 * `ID-0001`, `ID-0002`… and the MAC plus i.
 * @example deviceIdentity('cam', 'a0b1c2d3e4f5', 1, 3) // { id: 'cam-0002', mac: 'a0b1c2d3e4f6' }
 */
export function deviceIdentity(id: string, mac: string, index: number, count: number): { id: string; mac: string } {
  if (count === 1) return { id, mac };
  return { id: `${id}-${String(index + 1).padStart(ID_COUNTER_DIGITS, '0')}`, mac: macPlus(mac, index) };
}

/** A MAC address plus `n`, bare lower-case hex (wrapping at 2⁴⁸). */
export function macPlus(mac: string, n: number): string {
  const bare = normalizeMac(mac);
  if (bare === undefined) throw new Error(`not a MAC address: ${mac}`);
  return ((BigInt(`0x${bare}`) + BigInt(n)) % MAC_MAX).toString(16).padStart(12, '0');
}

function positive(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${text}`);
  return n;
}
