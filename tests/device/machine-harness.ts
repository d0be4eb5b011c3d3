/**
 * Drives the PU client machine on XState's SimulatedClock with scripted actors: a Vs actor whose
 * answers the test queues, and a Vd socket actor whose events the test sends by hand. No network.
 */
import { createActor, fromCallback, fromPromise, SimulatedClock, type Actor, type Snapshot } from 'xstate';
import { syncTimeFromMs, type VsGetServerAddrResp } from '../../protocol/index.ts';
import {
  createPuClientMachine,
  type PuClientEvent,
  type PuClientMachine,
  type VdCommand,
  type VdSocketInput,
  type VsOutcome,
} from '../../device/pu-client.machine.ts';
import { puClientState } from '../../device/pu-client.rules.ts';

/** The simulated time every machine test starts at. */
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
/** The test platform's signalling host and port. */
export const VD_HOST = 'vd.test';
export const VD_PORT = 8443;

/** A Vs answer pointing at `host:port`, with SyncTime = `syncMs`. */
export function vsAnswer(syncMs: number, host = VD_HOST, port = VD_PORT): VsGetServerAddrResp {
  return {
    PassDomain: host,
    P2p_passDomain: '',
    TurnDomain: '',
    HibernationDomain: '',
    PassPort: 0,
    Secure_PassPort: port,
    P2p_passPort: 0,
    TurnPort: 0,
    SyncTime: syncTimeFromMs(syncMs),
  };
}

/** One scripted Vs result: an answer (with the device clock when it arrived) or a failure. */
export type VsScript = VsOutcome | Error;

/** A client machine under test. */
export interface Harness {
  clock: SimulatedClock;
  actor: Actor<PuClientMachine>;
  /** Vs results to hand out, in order (a promise answers when it settles); when empty, an answer in sync with the clock. */
  vsQueue: (VsScript | Promise<VsScript>)[];
  vsCalls: number;
  /** Every Vd socket opened: its input, the commands it got, and whether it was closed. */
  sockets: { input: VdSocketInput; commands: VdCommand['type'][]; closed: boolean; send(event: PuClientEvent): void }[];
  clockSets: { syncTimeMs: number; deviceNowMs: number }[];
  powerOffs: number;
  state(): string;
  /** The newest socket. */
  socket(): Harness['sockets'][number];
  /** Let promise actors settle. */
  settle(): Promise<void>;
  /** Advance the clock by `ms` and let actors settle. */
  advance(ms: number): Promise<void>;
  /** From stopped: start, get Vs answered, open the socket, answer GetServerInfo; ends online. */
  goOnline(hbIntervalS?: number): Promise<void>;
}

/** A started client machine with scripted actors; `random` draws the backoff point. */
export function harness(options: { random?: () => number; hbOverrideS?: number; bootMs?: number; snapshot?: Snapshot<unknown>; now?: number } = {}): Harness {
  const clock = new SimulatedClock();
  clock.set(options.now ?? T0);
  const h = { clock, vsQueue: [], vsCalls: 0, sockets: [], clockSets: [], powerOffs: 0 } as unknown as Harness;
  const machine = createPuClientMachine(options.random ?? (() => 0.5)).provide({
    actors: {
      vsSchedule: fromPromise<VsOutcome, { mac: string }>(async () => {
        h.vsCalls++;
        const next = (await h.vsQueue.shift()) ?? { resp: vsAnswer(clock.now()), deviceNowMs: clock.now() };
        if (next instanceof Error) throw next;
        return next;
      }),
      vdSocket: fromCallback<VdCommand, VdSocketInput, PuClientEvent>(({ input, sendBack, receive }) => {
        const socket = { input, commands: [] as VdCommand['type'][], closed: false, send: (event: PuClientEvent) => sendBack(event) };
        h.sockets.push(socket);
        receive((command) => socket.commands.push(command.type));
        return () => {
          socket.closed = true;
        };
      }),
    },
    actions: {
      'clock.set': (_, params) => {
        h.clockSets.push(params);
      },
      'device.powerOff': () => {
        h.powerOffs++;
      },
    },
  });
  const input = {
    deviceId: 'cam-1',
    mac: 'a0b1c2d3e4f5',
    ...(options.hbOverrideS ? { hbOverrideS: options.hbOverrideS } : {}),
    ...(options.bootMs ? { bootMs: options.bootMs } : {}),
  };
  h.actor = createActor(machine, { clock, input, ...(options.snapshot ? { snapshot: options.snapshot } : {}) });
  h.actor.start();
  h.state = () => puClientState(h.actor.getSnapshot());
  h.socket = () => h.sockets.at(-1)!;
  h.settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await Bun.sleep(0);
  };
  h.advance = async (ms) => {
    clock.increment(ms);
    await h.settle();
  };
  h.goOnline = async (hbIntervalS?: number) => {
    h.actor.send({ type: 'device.start' });
    await h.settle();
    h.socket().send({ type: 'vd.open' });
    h.socket().send(hbIntervalS === undefined ? { type: 'vd.serverInfo' } : { type: 'vd.serverInfo', hbIntervalS });
  };
  return h;
}

/** A Vs result the test releases later. */
export function deferredVs(): { promise: Promise<VsScript>; answer(result: VsScript): void } {
  let answer!: (result: VsScript) => void;
  const promise = new Promise<VsScript>((resolve) => (answer = resolve));
  return { promise, answer };
}

/** Fail the current connection attempt (the socket reports a refused login). */
export function refuse(h: Harness, retryAfterS?: number): void {
  h.socket().send({ type: 'vd.failed', reason: 'login refused (HTTP 401)', ...(retryAfterS === undefined ? {} : { retryAfterS }) });
}
