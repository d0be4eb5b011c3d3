/**
 * A simulated camera on XState's SimulatedClock, with HTTP recorded by an injected fetch (no
 * server) and an uplink that records what the PU sends. `ask` answers a platform request exactly
 * as the Vd connection would (handlers.ts), `tell` delivers a platform event.
 */
import { expect } from 'bun:test';
import { SimulatedClock } from 'xstate';
import { validateVdResp, type VdRpcName } from '../../protocol/index.ts';
import { SimulatedCamera } from '../../device/camera.ts';
import type { CameraOptions } from '../../device/camera-options.ts';
import { answerRequest, handleEvent, type MachineSignal } from '../../device/handlers.ts';
import { DeviceHttp, type FetchLike } from '../../device/http.ts';
import { fallbackJpeg } from '../../device/jpeg.ts';
import type { Uplink, VdAnswer } from '../../device/vd-session.ts';
import { T0 } from './machine-harness.ts';

/** One HTTP request the camera made. */
export interface RecordedHttp {
  method: string;
  url: string;
  contentType: string | null;
  body: Uint8Array;
}

/** A camera under test. */
export interface CameraRig {
  camera: SimulatedCamera;
  clock: SimulatedClock;
  http: RecordedHttp[];
  /** What the PU sent through its uplink. */
  uplinkSent: { kind: 'request' | 'event'; name: string; params: unknown }[];
  /** Signals to the client machine (reboot, reschedule). */
  signals: MachineSignal[];
  /** Answer for HTTP URLs: status by URL prefix (default 200). */
  httpStatus: Map<string, number>;
  /** Answer for AlarmNotify. */
  alarmResp: object;
  ask(name: string, params?: unknown): Promise<VdAnswer>;
  /** Ask, expect a `resp` valid against the catalog's answer schema, return it. */
  ok<T = Record<string, unknown>>(name: VdRpcName, params?: unknown): Promise<T>;
  /** Ask, expect an `err` with this code, return its message. */
  fails(name: string, params: unknown, code: number): Promise<string>;
  tell(name: string, params?: unknown): string | undefined;
  /** Advance the clock and let promises settle. */
  advance(ms: number): Promise<void>;
  online(): void;
  offline(): void;
}

/** A camera with recorded HTTP; options override the rig's defaults (fast built-in JPEG, channel count 1). */
export function cameraRig(options: Partial<CameraOptions> = {}): CameraRig {
  const clock = new SimulatedClock();
  clock.set(T0);
  const rig = { clock, http: [], uplinkSent: [], signals: [], httpStatus: new Map(), alarmResp: {} } as unknown as CameraRig;
  const fetchImpl: FetchLike = async (url, init) => {
    const text = String(url);
    const body = init?.body instanceof Uint8Array ? init.body : new Uint8Array();
    rig.http.push({ method: init?.method ?? 'GET', url: text, contentType: new Headers(init?.headers).get('Content-Type'), body });
    const status = [...rig.httpStatus].find(([prefix]) => text.startsWith(prefix))?.[1] ?? 200;
    if (status === 0) throw new TypeError('fetch failed: ECONNREFUSED');
    return new Response(init?.method === 'PUT' ? null : new Uint8Array(64 * 1024), { status });
  };
  rig.camera = new SimulatedCamera({
    id: 'cam-1',
    mac: 'a0b1c2d3e4f5',
    clock,
    http: new DeviceHttp(undefined, fetchImpl),
    jpeg: async () => fallbackJpeg(),
    ...options,
  });
  const uplink: Uplink = {
    request: async (name, params) => {
      rig.uplinkSent.push({ kind: 'request', name, params });
      return rig.alarmResp as never;
    },
    event: (name, params) => {
      rig.uplinkSent.push({ kind: 'event', name, params });
    },
  };
  const ctx = { camera: rig.camera, signal: (event: MachineSignal) => rig.signals.push(event) };
  rig.ask = (name, params) => answerRequest(name, params, ctx);
  rig.ok = async <T>(name: VdRpcName, params?: unknown) => {
    const answer = await rig.ask(name, params);
    if (!('resp' in answer)) throw new Error(`${name} answered err ${answer.err.code}: ${answer.err.msg}`);
    const checked = validateVdResp(name, answer.resp);
    if (!checked.ok) throw new Error(`${name} answer invalid: ${checked.error}`);
    return answer.resp as T;
  };
  rig.fails = async (name, params, code) => {
    const answer = await rig.ask(name, params);
    expect(answer).toMatchObject({ err: { code } });
    return 'err' in answer ? answer.err.msg : '';
  };
  rig.tell = (name, params) => handleEvent(name, params, ctx);
  rig.advance = async (ms) => {
    clock.increment(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await Bun.sleep(0);
  };
  rig.online = () => rig.camera.attach(uplink);
  rig.offline = () => rig.camera.detach();
  return rig;
}
