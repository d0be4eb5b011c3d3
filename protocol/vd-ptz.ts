/**
 * Vd PTZ messages: CtrlPTZ and GetPTZPresetList (H.627.2 I.2.17, I.2.18; NOTES 8).
 * @module
 */
import { z } from 'zod'
import {
  PTZ_PRESET_MAX,
  PTZ_PRESET_MIN,
  PTZ_SPEED_DEFAULT,
  PTZ_SPEED_MAX,
  PTZ_SPEED_MIN,
  PTZ_STEP_DEFAULT,
  PTZ_STEP_MAX,
  PTZ_STEP_MIN,
} from './constants.ts'
import { Channel, optional } from './vd-common.ts'

/** Continuous moves: `value` is a speed 0–100, default 50. */
export const PTZ_MOVE_OPS = ['up', 'down', 'left', 'right', 'upleft', 'upright', 'downleft', 'downright', 'zoomin', 'zoomout'] as const
/** Preset ops: `value` is the preset id 0–255, required. */
export const PTZ_PRESET_OPS = ['goto_preset', 'set_preset', 'clear_preset'] as const
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
] as const
/** Stop: `value` is optional and meaningless. */
export const PTZ_STOP_OP = 'stop'

/** A PTZ preset id, 0–255. */
export const PresetId = z.int().min(PTZ_PRESET_MIN).max(PTZ_PRESET_MAX)

/** CtrlPTZ event: one operation on a channel, its `value` ranged by operation (I.2.17). */
export const CtrlPTZParams = z.discriminatedUnion('op', [
  z.object({ channel: Channel, op: z.enum(PTZ_MOVE_OPS), value: z.int().min(PTZ_SPEED_MIN).max(PTZ_SPEED_MAX).default(PTZ_SPEED_DEFAULT) }),
  z.object({ channel: Channel, op: z.enum(PTZ_PRESET_OPS), value: PresetId }),
  z.object({ channel: Channel, op: z.enum(PTZ_STEP_OPS), value: z.int().min(PTZ_STEP_MIN).max(PTZ_STEP_MAX).default(PTZ_STEP_DEFAULT) }),
  z.object({ channel: Channel, op: z.literal(PTZ_STOP_OP), value: optional(z.int()) }),
])
/** CtrlPTZ event. */
export type CtrlPTZParams = z.infer<typeof CtrlPTZParams>
/** Every CtrlPTZ operation name. */
export type PtzOp = CtrlPTZParams['op']

/** GetPTZPresetList request. */
export const GetPTZPresetListParams = z.object({ channel: Channel })
/** GetPTZPresetList request. */
export type GetPTZPresetListParams = z.infer<typeof GetPTZPresetListParams>

/** One preset: `{ptzId}` (H.627.2) or `{id}` (OVC), normalised to `{ptzId}` (NOTES 8). */
export const PresetEntry = z
  .object({ ptzId: PresetId.optional(), id: PresetId.optional() })
  .refine((entry) => entry.ptzId !== undefined || entry.id !== undefined, { message: 'expected ptzId or id', path: ['ptzId'] })
  .transform((entry) => ({ ptzId: entry.ptzId ?? entry.id ?? PTZ_PRESET_MIN }))

/**
 * GetPTZPresetList answer: `{presetList: [...]}` (H.627.2) or a bare array (OVC), normalised to
 * `{presetList: [{ptzId}]}` (NOTES 8).
 */
export const GetPTZPresetListResp = z.preprocess(
  (resp) => (Array.isArray(resp) ? { presetList: resp } : resp),
  z.object({ presetList: z.array(PresetEntry) }),
)
/** GetPTZPresetList answer. */
export type GetPTZPresetListResp = z.infer<typeof GetPTZPresetListResp>
