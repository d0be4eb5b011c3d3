/**
 * Bodies of the SD-card playback API (`/api/devices/:id/channels/:ch/sdplay…`, docs/sd-playback.md):
 * the single source of their types and of their /api/openapi.json entries.
 * @module
 */
import { z } from 'zod';
import { EPOCH_S_MAX } from './constants.ts';
import { SdPlaySpeed } from './vd-media.ts';

/** Longest range one playback may ask for: a day of recordings (platform's choice: a camera's card holds days, a viewer watches one). */
export const SD_PLAY_RANGE_MAX_S = 24 * 60 * 60;

const EpochS = z.int().min(0).max(EPOCH_S_MAX);

/** `POST …/sdplay`: play the channel's recordings from `from` to `to`, seconds since the epoch. */
export const SdPlayRequest = z
  .object({ from: EpochS, to: EpochS })
  .refine((b) => b.to > b.from, { message: 'to must be after from', path: ['to'] })
  .refine((b) => b.to - b.from <= SD_PLAY_RANGE_MAX_S, { message: `at most ${SD_PLAY_RANGE_MAX_S} s per playback`, path: ['to'] });
/** `POST …/sdplay` body. */
export type SdPlayRequest = z.infer<typeof SdPlayRequest>;

/** `POST …/sdplay/:sid/ctrl`: pause, resume, seek to `pos` (s since the epoch, inside the range), set `speed`, or stop. */
export const SdPlayCtrl = z
  .object({
    action: z.enum(['pause', 'resume', 'seek', 'speed', 'stop']),
    pos: EpochS.optional(),
    speed: SdPlaySpeed.optional(),
  })
  .refine((b) => b.action !== 'seek' || b.pos !== undefined, { message: 'seek needs pos', path: ['pos'] })
  .refine((b) => b.action !== 'speed' || b.speed !== undefined, { message: 'speed needs speed', path: ['speed'] });
/** `POST …/sdplay/:sid/ctrl` body. */
export type SdPlayCtrl = z.infer<typeof SdPlayCtrl>;
