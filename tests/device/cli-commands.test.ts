/** Commands typed into `bun run device` (device/cli-commands.ts): bind, alarm, status, help, and their errors. */
import { describe, expect, it } from 'bun:test';
import { alarmType, COMMAND_MAX_CHARS, COMMANDS_HELP, parseCommand } from '../../device/cli-commands.ts';

describe('simulator commands', () => {
  it('reads bind, alarm (by name or number, with state and channel), status and help', () => {
    expect(parseCommand('bind 4K7Q2M')).toEqual({ kind: 'bind', code: '4K7Q2M' });
    expect(parseCommand('  alarm motion ')).toEqual({ kind: 'alarm', type: 3, state: 'start', channel: 0 });
    expect(parseCommand('alarm 3 end 1')).toEqual({ kind: 'alarm', type: 3, state: 'end', channel: 1 });
    expect(parseCommand('alarm bell_ring')).toEqual({ kind: 'alarm', type: 10, state: 'pulse', channel: 0 });
    expect(parseCommand('status')).toEqual({ kind: 'status' });
    expect(parseCommand('help')).toEqual({ kind: 'help' });
    expect(COMMANDS_HELP).toContain('motion (3)');
    expect(alarmType('HUMAN')).toBe(11);
  });

  it('says what is wrong with a command', () => {
    expect(() => parseCommand('bind')).toThrow('bind: give the bind code');
    expect(() => parseCommand('alarm')).toThrow('alarm: give its type');
    expect(() => parseCommand('alarm fire')).toThrow('unknown alarm type fire');
    expect(() => parseCommand('alarm motion loud')).toThrow('state must be start, end or pulse');
    expect(() => parseCommand('alarm motion start -1')).toThrow('channel must be a whole number');
    expect(() => parseCommand('reboot')).toThrow('unknown command reboot: type help');
    expect(() => parseCommand('x'.repeat(COMMAND_MAX_CHARS + 1))).toThrow(`longer than ${COMMAND_MAX_CHARS}`);
  });
});
