/**
 * Vd PTZ messages: CtrlPTZ and GetPTZPresetList (H.627.2 I.2.17, I.2.18; NOTES 8).
 * @module
 */
import { z } from 'zod';
import {
  INT4_MAX,
  INT4_MIN,
  PTZ_PRESET_MAX,
  PTZ_PRESET_MIN,
  PTZ_SPEED_DEFAULT,
  PTZ_SPEED_MAX,
  PTZ_SPEED_MIN,
  PTZ_STEP_DEFAULT,
  PTZ_STEP_MAX,
  PTZ_STEP_MIN,
} from './constants.ts';
import { Channel, int, optional } from './vd-common.ts';

/** Continuous moves: `value` is a speed 0–100, default 50. */
export const PTZ_MOVE_OPS = ['up', 'down', 'left', 'right', 'upleft', 'upright', 'downleft', 'downright', 'zoomin', 'zoomout'] as const;
/** Preset ops: `value` is the preset id 0–255, required. */
export const PTZ_PRESET_OPS = ['goto_preset', 'set_preset', 'clear_preset'] as const;
/** Single steps: `value` is a step 0–100, default 0. */
export const PTZ_STEP_OPS = [
  'up_step',
  'down_step',
  'left_step',
  'right_step',
  'upleft_step',
  'upright_step',
  'downleft_step',
  'downright_step',
  'zoomin_step',
  'zoomout_step',
] as const;
/** Stop: `value` is optional and meaningless. */
export const PTZ_STOP_OP = 'stop';

/** Most presets a channel can have: one per preset id. */
export const PTZ_PRESETS_MAX = PTZ_PRESET_MAX - PTZ_PRESET_MIN + 1;

/** A PTZ preset id, 0–255. */
export const PresetId = int(PTZ_PRESET_MIN, PTZ_PRESET_MAX);

/** CtrlPTZ event: one operation on a channel, its `value` ranged by operation (I.2.17). */
export const CtrlPTZParams = z.discriminatedUnion('op', [
  z.object({ channel: Channel, op: z.enum(PTZ_MOVE_OPS), value: int(PTZ_SPEED_MIN, PTZ_SPEED_MAX).default(PTZ_SPEED_DEFAULT) }),
  z.object({ channel: Channel, op: z.enum(PTZ_PRESET_OPS), value: PresetId }),
  z.object({ channel: Channel, op: z.enum(PTZ_STEP_OPS), value: int(PTZ_STEP_MIN, PTZ_STEP_MAX).default(PTZ_STEP_DEFAULT) }),
  // Stop's value means nothing: any C int a client sends is ignored rather than refused.
  z.object({ channel: Channel, op: z.literal(PTZ_STOP_OP), value: optional(int(INT4_MIN, INT4_MAX)) }),
]);
/** CtrlPTZ event. */
export type CtrlPTZParams = z.infer<typeof CtrlPTZParams>;
/** Every CtrlPTZ operation name. */
export type PtzOp = CtrlPTZParams['op'];

/** GetPTZPresetList request. */
export const GetPTZPresetListParams = z.object({ channel: Channel });
/** GetPTZPresetList request. */
export type GetPTZPresetListParams = z.infer<typeof GetPTZPresetListParams>;

/** One preset: `{ptzId}` (H.627.2) or `{id}` (OVC), normalised to `{ptzId}` (NOTES 8). */
export const PresetEntry = z
  .object({ ptzId: PresetId.optional(), id: PresetId.optional() })
  .refine((entry) => entry.ptzId !== undefined || entry.id !== undefined, { message: 'expected ptzId or id', path: ['ptzId'] })
  .transform((entry) => ({ ptzId: entry.ptzId ?? entry.id ?? PTZ_PRESET_MIN }));

/**
 * GetPTZPresetList answer: `{presetList: [...]}` (H.627.2) or a bare array (OVC), normalised to
 * `{presetList: [{ptzId}]}` (NOTES 8).
 */
export const GetPTZPresetListResp = z.preprocess(
  (resp) => (Array.isArray(resp) ? { presetList: resp } : resp),
  z.object({ presetList: z.array(PresetEntry).max(PTZ_PRESETS_MAX) }),
);
/** GetPTZPresetList answer. */
export type GetPTZPresetListResp = z.infer<typeof GetPTZPresetListResp>;
