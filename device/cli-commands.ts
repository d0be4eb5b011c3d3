/**
 * What `bun run device` does besides running: bind the camera to a user with a bind code (Bind, I.2.3) and raise
 * alarms (AlarmNotify, I.2.16), from flags (`--bind CODE`, `--alarm motion`, done once the device is online) or typed
 * on its standard input, one command a line (`bind CODE`, `alarm motion [start|end|pulse] [CHANNEL]`, `help`).
 * Each outcome is one JSON line on stdout, like the device's state changes.
 * @module
 */
import { ALARM_TYPES, alarmTypeValues, type AlarmType } from '../protocol/constants.ts';
import type { AlarmState } from './camera-alarms.ts';
import { defaultAlarmState } from './camera-alarms.ts';
import type { SimulatedDevice } from './simulated-device.ts';

/** How long a flag's action waits for the device to be online first, ms (Vs, then the Vd login). */
export const ONLINE_WAIT_MS = 60_000;
/** Longest command line read from standard input, characters (a bind code and an alarm are short). */
export const COMMAND_MAX_CHARS = 256;

/** The commands' help text. */
export const COMMANDS_HELP = `commands (standard input, one a line):
  bind CODE                                  send the bind code the console showed ("Add a camera")
  alarm TYPE [start|end|pulse] [CHANNEL]     raise an alarm; TYPE is a name or number: ${alarmTypeValues()
    .map((t) => `${ALARM_TYPES[t].name} (${t})`)
    .join(', ')}
  status                                     each device's state
  help                                       this text`;

/** One parsed command. */
export type Command =
  | { kind: 'bind'; code: string }
  | { kind: 'alarm'; type: AlarmType; state: AlarmState; channel: number }
  | { kind: 'status' }
  | { kind: 'help' };

/**
 * An alarm type by name (`motion`, `bell_ring`) or number (`3`); throws naming the known ones.
 * @example alarmType('motion') // 3
 */
export function alarmType(text: string): AlarmType {
  const byNumber = Number(text);
  const t = alarmTypeValues().find((v) => v === byNumber || ALARM_TYPES[v].name === text.toLowerCase());
  if (t === undefined)
    throw new Error(
      `unknown alarm type ${text} (one of ${alarmTypeValues()
        .map((v) => ALARM_TYPES[v].name)
        .join(', ')}, or 2-12)`,
    );
  return t;
}

/**
 * Parse one command line; throws an Error saying what is wrong.
 * @example parseCommand('alarm motion end 1') // { kind: 'alarm', type: 3, state: 'end', channel: 1 }
 */
export function parseCommand(line: string): Command {
  if (line.length > COMMAND_MAX_CHARS) throw new Error(`command longer than ${COMMAND_MAX_CHARS} characters`);
  const [word, ...rest] = line.trim().split(/\s+/);
  if (word === 'help' || word === '?') return { kind: 'help' };
  if (word === 'status') return { kind: 'status' };
  if (word === 'bind') {
    if (rest.length !== 1 || !rest[0]) throw new Error('bind: give the bind code, e.g. bind 4K7Q2M');
    return { kind: 'bind', code: rest[0] };
  }
  if (word === 'alarm') return alarmCommand(rest);
  throw new Error(`unknown command ${word ?? ''}: type help`);
}

/** `TYPE[:STATE]` of `--alarm`, or the words after `alarm`. */
export function alarmCommand(words: string[]): Command & { kind: 'alarm' } {
  const [typeText, stateText, channelText] = words.length === 1 && words[0]?.includes(':') ? words[0].split(':') : words;
  if (!typeText) throw new Error('alarm: give its type, e.g. alarm motion');
  const type = alarmType(typeText);
  const state = (stateText ?? defaultAlarmState(type)) as AlarmState;
  if (!['start', 'end', 'pulse'].includes(state)) throw new Error(`alarm: state must be start, end or pulse, got ${stateText}`);
  const channel = channelText === undefined ? 0 : Number(channelText);
  if (!Number.isInteger(channel) || channel < 0) throw new Error(`alarm: channel must be a whole number, got ${channelText}`);
  return { kind: 'alarm', type, state, channel };
}

/** Run one command on the devices (bind: the first and only one); resolves with what to log. */
export async function runCommand(devices: SimulatedDevice[], cmd: Command): Promise<Record<string, unknown>[]> {
  if (cmd.kind === 'help') return [{ help: COMMANDS_HELP }];
  if (cmd.kind === 'status') return devices.map((d) => ({ device: d.id, state: d.state }));
  if (cmd.kind === 'bind') {
    if (devices.length !== 1) throw new Error('bind: a bind code binds one camera; run it with --count 1');
    const d = devices[0]!;
    d.bind(cmd.code);
    return [{ device: d.id, command: 'bind', note: 'bind code sent (Bind); the console announces the camera when the platform has bound it' }];
  }
  return Promise.all(
    devices.map(async (d) => {
      const out = await d.camera.raiseAlarm(cmd.type, cmd.state, { channel: cmd.channel });
      return {
        device: d.id,
        command: 'alarm',
        alarm: ALARM_TYPES[cmd.type].name,
        state: cmd.state,
        channel: cmd.channel,
        picture: out.picture ? (out.picture.uploaded ? 'uploaded' : `not uploaded: ${out.picture.error ?? 'failed'}`) : 'not asked for',
      };
    }),
  );
}

/** Once the devices are online, run the flags' commands (`--bind`, `--alarm`) in order. */
export async function runAtStart(devices: SimulatedDevice[], cmds: Command[], log: (line: Record<string, unknown>) => void): Promise<void> {
  if (cmds.length === 0) return;
  await Promise.all(devices.map((d) => d.waitFor('online', ONLINE_WAIT_MS)));
  for (const cmd of cmds) for (const line of await runCommand(devices, cmd)) log(line);
}

/** Read commands from standard input until it ends; each answer or error is one log line. */
export async function readCommands(devices: SimulatedDevice[], input: AsyncIterable<string>, log: (line: Record<string, unknown>) => void): Promise<void> {
  for await (const line of input) {
    if (!line.trim()) continue;
    try {
      for (const out of await runCommand(devices, parseCommand(line))) log(out);
    } catch (err) {
      log({ error: err instanceof Error ? err.message : String(err), command: line.slice(0, COMMAND_MAX_CHARS) });
    }
  }
}
