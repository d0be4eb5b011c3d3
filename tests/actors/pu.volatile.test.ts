/**
 * The rule for volatile values (MachineDef.volatile) as the pu machine's `silent` guard relies on
 * it, through the real host, store and replay: the host hands guards the newest volatile values
 * (keepalives that wrote no row included), and replay, which only has them as of the previous
 * logged row, still takes every logged decision the same way because the guard is monotone in a
 * value that only grows and its other branch is never logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { ActorHost } from '../../actors/host/host.ts';
import { MachineRegistry } from '../../actors/host/registry.ts';
import { readHistory } from '../../actors/host/store.ts';
import { replayActor } from '../../actors/host/replay.ts';
import { pureInitial, pureTransition, withContext } from '../../actors/host/transition.ts';
import { MACHINES } from '../../actors/machines/index.ts';
import { puActorId, puMachine } from '../../actors/machines/pu.machine.ts';
import { heartbeatTimeoutMs } from '../../actors/machines/pu.heartbeat.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { T0 } from './pu.harness.ts';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
});
afterAll(async () => {
  await t.cleanup();
});

/** The simulated clock's step: the lazy heartbeat timer re-arms when it comes due, so time passes second by second. */
const STEP_MS = 1000;
/** How often the device sends a Keepalive (I.2.2's default heartbeat interval). */
const KEEPALIVE_EVERY_MS = 10_000;
/** How long the device keeps sending them: twice the heartbeat timeout, so the timer comes due in between. */
const TALKING_MS = 60_000;

describe('pu actor: the silent guard reads a volatile value', () => {
  it('sees the last-seen time of keepalives that wrote no row, and replays the same', async () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const host = new ActorHost({ db: t.db, machines: MACHINES, clock });
    const id = puActorId('CAM-VOLATILE-1');
    await host.create('pu', id, { deviceId: 'CAM-VOLATILE-1', macId: 'a0b1c2d3e4f5', channels: [0] });
    await host.dispatch(id, { type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW', firmwareModel: 'FW', ip: '10.0.0.2' });
    const keepalive = () => host.dispatch(id, { type: 'vd.keepalive', connId: 'c1', state: 1, channels: [{ channel: 0, state: 1, alarm: 0 }] });
    expect((await keepalive()).logged).toBe(true); // the first one reports the channels: a row
    const timeout = heartbeatTimeoutMs((await host.get(id))!.context as unknown as PuContext);
    let unlogged = 0;
    for (let ms = STEP_MS; ms <= TALKING_MS; ms += STEP_MS) {
      clock.increment(STEP_MS);
      if (ms % KEEPALIVE_EVERY_MS === 0 && !(await keepalive()).logged) unlogged++;
    }
    expect(unlogged).toBe(TALKING_MS / KEEPALIVE_EVERY_MS);
    await host.flush();
    const talking = await readHistory(t.db, id, -1, 100);
    const lastRow = talking.at(-1)!;
    // The machine on the logged context alone (lastSeenAt of the last row) would call the device silent now...
    const stale = puMachine.resolveState({ value: lastRow.value, context: lastRow.context } as never);
    expect(pureTransition(puMachine, stale, { type: 'heartbeat.expired', at: clock.now() })[0].value).toBe('offline');
    // ...but the host's guard read the newest value: online, and no row for the timer's re-arming.
    expect((await host.get(id))!.value).toEqual({ online: 'ready' });
    expect(talking.map((r) => r.event.type)).toEqual(['xstate.init', 'vd.connected', 'vd.keepalive']);

    const lastHeard = clock.now();
    for (let ms = STEP_MS; ms < timeout; ms += STEP_MS) clock.increment(STEP_MS);
    expect((await host.get(id))!.value).toEqual({ online: 'ready' });
    clock.increment(STEP_MS);
    const offline = await host.get(id);
    expect([offline!.value, (offline!.context as unknown as PuContext).since]).toEqual(['offline', lastHeard + timeout]);
    await host.stop();
    const history = await readHistory(t.db, id, -1, 100);
    expect(history.map((r) => r.event.type)).toEqual(['xstate.init', 'vd.connected', 'vd.keepalive', 'heartbeat.expired']);
    // Replay has lastSeenAt only as of the keepalive row, older than what the guard read: same answer.
    expect(await replayActor(t.db, new MachineRegistry(MACHINES), id)).toMatchObject({ ok: true, mismatches: [] });
  });

  it('is monotone in the last-seen time: an older value never turns a silent device into a heard one', () => {
    const [s0] = pureInitial(puMachine, { deviceId: 'CAM-MONO', macId: 'a0b1c2d3e4f5', channels: [0] });
    const login = { type: 'vd.connected', connId: 'c1', reconnect: false, hardwareModel: 'HW', firmwareModel: 'FW', at: T0 };
    const [online] = pureTransition(puMachine, s0, login);
    const timeout = heartbeatTimeoutMs(online.context as unknown as PuContext);
    const due = T0 + 2 * timeout;
    const after = (lastSeenAt: number) => pureTransition(puMachine, withContext(online, { lastSeenAt }), { type: 'heartbeat.expired', at: due })[0].value;
    let silent = 0;
    for (let seen = T0; seen <= due; seen += STEP_MS) {
      if (after(seen) !== 'offline') continue;
      silent++;
      for (let older = T0; older <= seen; older += STEP_MS) expect({ seen, older, value: after(older) }).toEqual({ seen, older, value: 'offline' });
    }
    expect(silent).toBe(timeout / STEP_MS + 1);
    expect(after(due - timeout)).toBe('offline'); // exactly the timeout
    expect(after(due - timeout + 1)).toEqual({ online: 'ready' });
  });
});
