/**
 * Vd maintenance messages: log upload and the SD card (H.627.2 I.2.29–I.2.32; NOTES 11, 12).
 * @module
 */
import { z } from 'zod';
import { DISK_SIZE_MAX_MB, DISK_STATE, LOG_SIZE_MAX_BYTES } from './constants.ts';
import { DateTime, DeviceDateTime, EmptyResp, int, MacId, NoParams, optional, TransId, Url } from './vd-common.ts';

// ── LogUploadAsync, LogDone (I.2.29, I.2.30, NOTES 11) ──

/** LogUploadAsync request: PUT the log between `start` and `end` to `url`, then send LogDone. */
export const LogUploadAsyncParams = z.object({ trans_id: TransId, start: DateTime, end: DateTime, url: Url });
/** LogUploadAsync request. */
export type LogUploadAsyncParams = z.infer<typeof LogUploadAsyncParams>;
/** LogUploadAsync answer: `{}` (the upload itself is asynchronous). */
export const LogUploadAsyncResp = EmptyResp;
/** LogUploadAsync answer. */
export type LogUploadAsyncResp = z.infer<typeof LogUploadAsyncResp>;
/** LogDone event: the outcome of a log upload, `trans_id` as text. */
export const LogDoneParams = z.object({
  mac_id: MacId,
  trans_id: TransId,
  status: z.enum(['success', 'fail']),
  /** Actual start of the uploaded log. */
  start: DeviceDateTime,
  /** Actual end of the uploaded log. */
  end: DeviceDateTime,
  url: Url,
  /** Bytes uploaded (0 when there was no log). */
  size: int(0, LOG_SIZE_MAX_BYTES),
});
/** LogDone event. */
export type LogDoneParams = z.infer<typeof LogDoneParams>;

// ── GetDiskInfo, FormatDisk (I.2.31, I.2.32, NOTES 12) ──

/** SD card state: 0 normal, 1 no card, 2 exception, 3 formatting. */
export const DiskState = z.literal(Object.values(DISK_STATE));

/** GetDiskInfo request: no params. */
export const GetDiskInfoParams = NoParams;
/** GetDiskInfo request. */
export type GetDiskInfoParams = z.infer<typeof GetDiskInfoParams>;
/** GetDiskInfo answer: card state and, when known, sizes in MB (optional, as in OVC). */
export const GetDiskInfoResp = z.object({ state: DiskState, total: optional(int(0, DISK_SIZE_MAX_MB)), free: optional(int(0, DISK_SIZE_MAX_MB)) });
/** GetDiskInfo answer. */
export type GetDiskInfoResp = z.infer<typeof GetDiskInfoResp>;
/** FormatDisk request: no params. */
export const FormatDiskParams = NoParams;
/** FormatDisk request. */
export type FormatDiskParams = z.infer<typeof FormatDiskParams>;
/** FormatDisk answer: `{}` at once; the platform then polls GetDiskInfo (state 3 = formatting). */
export const FormatDiskResp = EmptyResp;
/** FormatDisk answer. */
export type FormatDiskResp = z.infer<typeof FormatDiskResp>;
