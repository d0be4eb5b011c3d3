/**
 * Pan/tilt/zoom of one camera head (CtrlPTZ, GetPTZPresetList; H.627.2 I.2.17, I.2.18): continuous
 * moves at a speed until `stop`, single steps, and presets 0–255. Position is integrated from the
 * clock, so no timer runs while the head moves.
 * @module
 */
import { PTZ_MOVE_OPS, PTZ_SPEED_MAX, PTZ_STEP_MAX, type CtrlPTZParams, type GetPTZPresetListResp } from '../protocol/index.ts';
import type { DeviceClock } from './clock.ts';

/** Pan range, degrees. Simulator's choice (a typical indoor PTZ head). */
export const PTZ_PAN_RANGE_DEG = [-170, 170] as const;
/** Tilt range, degrees. Simulator's choice. */
export const PTZ_TILT_RANGE_DEG = [-30, 90] as const;
/** Zoom range, times. Simulator's choice. */
export const PTZ_ZOOM_RANGE_X = [1, 4] as const;
/** Pan/tilt speed at speed 100, degrees per second. Simulator's choice. */
export const PTZ_MAX_DEG_PER_S = 60;
/** Zoom speed at speed 100, times per second. Simulator's choice. */
export const PTZ_MAX_ZOOM_X_PER_S = 1;
/** Pan/tilt single step at step 0 and at step 100, degrees (I.2.17: 0 smallest, 100 largest). */
export const PTZ_STEP_RANGE_DEG = [1, 10] as const;
/** Zoom single step at step 0 and at step 100, times. */
export const PTZ_ZOOM_STEP_RANGE_X = [0.1, 1] as const;

/** Where the head points. */
export interface PtzPosition {
  pan: number;
  tilt: number;
  zoom: number;
}

type MoveOp = (typeof PTZ_MOVE_OPS)[number];
/** Unit direction of each move op: [pan, tilt, zoom]. */
const DIRECTIONS: Record<MoveOp, readonly [number, number, number]> = {
  up: [0, 1, 0],
  down: [0, -1, 0],
  left: [-1, 0, 0],
  right: [1, 0, 0],
  upleft: [-1, 1, 0],
  upright: [1, 1, 0],
  downleft: [-1, -1, 0],
  downright: [1, -1, 0],
  zoomin: [0, 0, 1],
  zoomout: [0, 0, -1],
};

const MS_PER_S = 1_000;

/** One channel's PTZ head. */
export class PtzHead {
  private at: PtzPosition = { pan: 0, tilt: 0, zoom: PTZ_ZOOM_RANGE_X[0] };
  private motion: { dir: readonly [number, number, number]; speed: number; since: number } | undefined;
  private readonly presets = new Map<number, PtzPosition>();

  /** The operations of I.2.17, by op name (a table, not a switch). */
  private readonly ops: Record<CtrlPTZParams['op'], (value: number | undefined) => void>;

  constructor(private readonly clock: DeviceClock) {
    const moves = Object.fromEntries(PTZ_MOVE_OPS.map((op) => [op, (speed: number | undefined) => this.move(DIRECTIONS[op], speed ?? 0)]));
    const steps = Object.fromEntries(PTZ_MOVE_OPS.map((op) => [`${op}_step`, (step: number | undefined) => this.step(DIRECTIONS[op], step ?? 0)]));
    this.ops = {
      ...(moves as Record<MoveOp, (v: number | undefined) => void>),
      ...(steps as Record<`${MoveOp}_step`, (v: number | undefined) => void>),
      stop: () => this.stop(),
      set_preset: (id) => this.presets.set(id ?? 0, this.position()),
      clear_preset: (id) => this.presets.delete(id ?? 0),
      goto_preset: (id) => this.goto(id ?? 0),
    };
  }

  /** Apply one CtrlPTZ operation (validated: the catalog filled the default value). */
  control(params: CtrlPTZParams): void {
    this.ops[params.op](params.value);
  }

  /** Where the head points now (a moving head is integrated up to now, within its range). */
  position(): PtzPosition {
    if (this.motion === undefined) return { ...this.at };
    const seconds = (this.clock.now() - this.motion.since) / MS_PER_S;
    const [dPan, dTilt, dZoom] = this.motion.dir;
    const degrees = (PTZ_MAX_DEG_PER_S * Math.max(this.motion.speed, 1)) / PTZ_SPEED_MAX;
    const zoomRate = (PTZ_MAX_ZOOM_X_PER_S * Math.max(this.motion.speed, 1)) / PTZ_SPEED_MAX;
    return clampPosition({
      pan: this.at.pan + dPan * degrees * seconds,
      tilt: this.at.tilt + dTilt * degrees * seconds,
      zoom: this.at.zoom + dZoom * zoomRate * seconds,
    });
  }

  /** True while a continuous move runs. */
  get moving(): boolean {
    return this.motion !== undefined;
  }

  /** GetPTZPresetList answer (I.2.18), ascending ids. */
  presetList(): GetPTZPresetListResp {
    return { presetList: [...this.presets.keys()].sort((a, b) => a - b).map((ptzId) => ({ ptzId })) };
  }

  /** The position saved under a preset. */
  preset(id: number): PtzPosition | undefined {
    const saved = this.presets.get(id);
    return saved === undefined ? undefined : { ...saved };
  }

  /** Power loss: a move stops where it is; presets are kept (non-volatile). */
  powerOff(): void {
    this.stop();
  }

  private move(dir: readonly [number, number, number], speed: number): void {
    this.stop();
    this.motion = { dir, speed, since: this.clock.now() };
  }

  private stop(): void {
    this.at = this.position();
    this.motion = undefined;
  }

  private step(dir: readonly [number, number, number], step: number): void {
    this.stop();
    const degrees = lerp(PTZ_STEP_RANGE_DEG, step / PTZ_STEP_MAX);
    const zoom = lerp(PTZ_ZOOM_STEP_RANGE_X, step / PTZ_STEP_MAX);
    this.at = clampPosition({ pan: this.at.pan + dir[0] * degrees, tilt: this.at.tilt + dir[1] * degrees, zoom: this.at.zoom + dir[2] * zoom });
  }

  private goto(id: number): void {
    const saved = this.presets.get(id);
    this.stop();
    if (saved !== undefined) this.at = { ...saved }; // an unknown preset leaves the head where it is
  }
}

function lerp([low, high]: readonly [number, number], t: number): number {
  return low + (high - low) * t;
}

function clamp(value: number, [low, high]: readonly [number, number]): number {
  return Math.min(high, Math.max(low, value));
}

function clampPosition(p: PtzPosition): PtzPosition {
  return { pan: clamp(p.pan, PTZ_PAN_RANGE_DEG), tilt: clamp(p.tilt, PTZ_TILT_RANGE_DEG), zoom: clamp(p.zoom, PTZ_ZOOM_RANGE_X) };
}
