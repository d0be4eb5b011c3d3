/**
 * What the recording API answers (docs/recording.md): sessions, policy, usage and quotas, the timeline's alarms and
 * listings. Part of the API's response schemas (protocol/api-responses.ts re-exports them).
 * @module
 */
import { z } from 'zod';
import { EpochMs, IsoTime, JsonObject } from './api-json.ts';

/** A record session. */
export const RecordingSession = z.looseObject({
  recording_id: z.string(),
  session_id: z.string(),
  device_id: z.string(),
  channel: z.number().int(),
  state: z.string(),
  since: EpochMs,
  reason: z.string(),
  params: JsonObject,
  attempt: z.number().int(),
  started_at: EpochMs.nullable(),
  stopped_at: EpochMs.nullable(),
  last_error: JsonObject.nullable(),
  dropped: z.looseObject({ segments: z.number(), seconds: z.number(), reports: z.number() }).optional(),
});

/** `GET …/recording-policy`. */
export const RecordingPolicy = z.looseObject({ retention_s: z.number().int(), default: z.boolean() });

/** `PUT …/recording-policy`: the policy and how many segments it now keeps. */
export const RecordingPolicySet = RecordingPolicy.extend({ segments: z.number().int() });

/** The oldest segment a device or user keeps: the one a quota removes next. */
const OldestKept = z
  .looseObject({
    device_id: z.string().describe('its device'),
    name: z.string().describe('its Vr name'),
    start: z.number().describe('device time of its first frame, seconds since the epoch'),
    confirmed_at: z.string().describe('when it was confirmed (ISO 8601)'),
  })
  .nullable();

/** What a device keeps: `GET …/recording-usage`, `PUT …/recording-quota`, and each device of a user's usage. */
export const DeviceRecordingUsage = z.looseObject({
  device_id: z.string(),
  bytes: z.number().int().describe('bytes of its confirmed segments'),
  segments: z.number().int().describe('its confirmed segments'),
  quota_bytes: z.number().int().describe('bytes it keeps at most; 0: no quota'),
  quota_default: z.boolean().describe('the quota is the platform default (RECORDING_DEVICE_QUOTA_BYTES), not its own'),
  oldest_kept: OldestKept,
});

/** What a user's devices keep together: `GET /api/me/recording-usage`. */
export const UserRecordingUsage = z.looseObject({
  user_id: z.string(),
  bytes: z.number().int().describe("bytes of the confirmed segments of all the user's devices"),
  segments: z.number().int(),
  quota_bytes: z.number().int().describe("bytes the user's devices keep at most together (RECORDING_USER_QUOTA_BYTES); 0: no quota"),
  oldest_kept: OldestKept,
  devices: z.array(DeviceRecordingUsage),
});

/** `GET`/`PUT …/alarm-recording`: the camera's alarm-triggered recording setting, with its bounds. */
export const AlarmRecordingSetting = z.looseObject({
  enabled: z.boolean(),
  record_s: z.number().int().nullable(),
  prerecord_s: z.number().int(),
  record_s_min: z.number().int(),
  record_s_max: z.number().int(),
  prerecord_s_max: z.number().int(),
  set_by: z.string().nullable(),
  set_at: EpochMs.nullable(),
});

/** `GET …/channels/:ch/alarms`: a channel's alarms in a range (epoch seconds), each placed on the timeline at `t`. */
export const TimelineAlarms = z.looseObject({
  from: z.number(),
  to: z.number(),
  truncated: z.boolean(),
  alarms: z.array(
    z.looseObject({
      id: z.string(),
      channel: z.number().int(),
      type: z.number().int(),
      name: z.string(),
      state: z.string(),
      desc: z.string(),
      t: z.number(),
      received_at: IsoTime,
      picture: z.string().nullable(),
    }),
  ),
});

/** `GET …/recordings`: segments and gaps of a range (epoch seconds). */
export const RecordingListing = z.looseObject({
  device_id: z.string(),
  channel: z.number().int(),
  from: z.number(),
  to: z.number(),
  segments: z.array(
    z.looseObject({
      name: z.string(),
      start: z.number(),
      duration: z.number(),
      end: z.number(),
      size: z.number().int(),
      discontinuity: z.boolean(),
      url: z.string(),
    }),
  ),
  gaps: z.array(z.looseObject({ start: z.number(), end: z.number(), duration: z.number() })),
  duration: z.number(),
  size: z.number().int(),
  truncated: z.boolean(),
});
