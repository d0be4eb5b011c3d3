/** The `bun run device` command line and the identities of a `--count N` run. */
import { describe, expect, it } from 'bun:test';
import { capabilityFlags, deviceIdentity, HelpRequested, macPlus, parseCliArgs } from '../../device/cli-args.ts';

const BASE = ['--server', 'https://127.0.0.1:8443', '--id', 'cam', '--password', 'pw', '--mac', 'A0:B1:C2:D3:E4:FE'];

describe('device command line', () => {
  it('takes --battery and --sleep-after (a battery camera that sleeps when idle)', () => {
    expect(parseCliArgs([...BASE, '--battery', '--sleep-after', '5'])).toMatchObject({ battery: true, sleepAfterS: 5 });
    expect(() => parseCliArgs([...BASE, '--battery', '--sleep-after', '0'])).toThrow('--sleep-after');
  });

  it('takes --bind and --alarm (done once online) and refuses a bind code for --count N', () => {
    expect(parseCliArgs([...BASE, '--bind', 'K7Q2M4', '--alarm', 'motion', '--alarm', 'bell_ring:pulse']).atStart).toEqual([
      { kind: 'bind', code: 'K7Q2M4' },
      { kind: 'alarm', type: 3, state: 'start', channel: 0 },
      { kind: 'alarm', type: 10, state: 'pulse', channel: 0 },
    ]);
    expect(() => parseCliArgs([...BASE, '--bind', 'K7Q2M4', '--count', '2'])).toThrow('--bind: a bind code binds one camera');
    expect(() => parseCliArgs([...BASE, '--alarm', 'smoke'])).toThrow('--alarm: unknown alarm type smoke');
    expect(() => parseCliArgs([...BASE, '--alarm', 'motion:loud'])).toThrow('--alarm: state must be start, end or pulse');
  });

  it('parses the flags with their defaults', () => {
    expect(parseCliArgs(BASE)).toEqual({
      server: 'https://127.0.0.1:8443',
      id: 'cam',
      password: 'pw',
      mac: 'A0:B1:C2:D3:E4:FE',
      channels: 1,
      insecure: false,
      count: 1,
      signedLogin: false,
      sdCard: false,
      battery: false,
      sleepAfterS: 30,
      atStart: [],
    });
    expect(parseCliArgs([...BASE, '--sd-card']).sdCard).toBe(true);
    expect(
      parseCliArgs([
        ...BASE,
        '--channels',
        '4',
        '--insecure',
        '--count',
        '50',
        '--hardware-model',
        'HW',
        '--firmware-model',
        'FW',
        '--signed-login',
        '--hb-override',
        '5',
      ]),
    ).toMatchObject({
      channels: 4,
      insecure: true,
      count: 50,
      hardwareModel: 'HW',
      firmwareModel: 'FW',
      signedLogin: true,
      hbOverrideS: 5,
    });
  });

  it('refuses missing or contradictory flags with a message', () => {
    expect(() => parseCliArgs(['--id', 'cam'])).toThrow('required');
    expect(() => parseCliArgs([...BASE, '--ca', 'ca.pem', '--insecure'])).toThrow('exclude');
    expect(() => parseCliArgs([...BASE, '--count', '0'])).toThrow('--count');
    expect(() => parseCliArgs([...BASE.slice(0, 6), '--mac', 'nope'])).toThrow('--mac');
    expect(() => parseCliArgs(['--bogus'])).toThrow();
    expect(() => parseCliArgs(['--help'])).toThrow(HelpRequested);
  });

  it('keeps the given id and MAC for a single device', () => {
    expect(deviceIdentity('cam', 'a0b1c2d3e4f5', 0, 1)).toEqual({ id: 'cam', mac: 'a0b1c2d3e4f5' });
  });

  it('numbers ids from 0001 and counts MACs up from the given one for --count N', () => {
    const ids = [0, 1, 2].map((i) => deviceIdentity('cam', 'A0:B1:C2:D3:E4:FE', i, 3));
    expect(ids).toEqual([
      { id: 'cam-0001', mac: 'a0b1c2d3e4fe' },
      { id: 'cam-0002', mac: 'a0b1c2d3e4ff' },
      { id: 'cam-0003', mac: 'a0b1c2d3e500' },
    ]);
    expect(macPlus('ffffffffffff', 1)).toBe('000000000000');
  });

  it('takes GetCap overrides with --cap, and names a wrong one', () => {
    expect(parseCliArgs([...BASE, '--cap', 'ptz=false', '--cap', 'https=false', '--cap', 'alarms.cry=true'])).toMatchObject({
      capabilities: { ptz: false, https: false, alarms: { cry: true } },
    });
    expect(capabilityFlags(['battery=true', 'alarms.motion=false', 'alarms.face=true'])).toEqual({ battery: true, alarms: { motion: false, face: true } });
    expect(() => capabilityFlags(['ptz'])).toThrow('--cap: expected NAME=true|false');
    expect(() => capabilityFlags(['teleport=true'])).toThrow('--cap: no capability teleport (one of ptz, battery');
    expect(() => capabilityFlags(['alarms.smoke=true'])).toThrow('--cap: no capability alarms.smoke');
    expect(() => capabilityFlags(['media_protocol=true'])).toThrow('--cap: no capability media_protocol');
  });
});
