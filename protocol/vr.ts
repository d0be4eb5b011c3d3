/**
 * Vr, the recording interface (H.627.2 9.3.4, I.3; NOTES 14, 15; OVC cloud_record.md):
 * `POST /live/cseg/<channelID>` with an `application/x-www-form-urlencoded` body selecting an `op`,
 * answered with JSON.
 * @module
 */
import { z } from 'zod';
import { DECIMAL_MAX_CHARS, EPOCH_S_MAX, INFO_MAX_CHARS, NAME_MAX_CHARS, SEGMENT_NAME_MAX_CHARS, URL_MAX_BYTES, VR_MAX_FORM_BYTES } from './constants.ts';
import { parseWith, type Result } from './errors.ts';
import { SEG_DURATION_MAX_S, SEG_MAX_SIZE_MAX_BYTES } from './recording-api.ts';
import { text } from './text.ts';

/** Path prefix of a Vr channel URL; the platform's channel id follows (NOTES 16). */
export const VR_PATH_PREFIX = '/live/cseg/'; // H.627.2 9.3.4.2
/** Request body type of every Vr request. */
export const VR_REQUEST_CONTENT_TYPE = 'application/x-www-form-urlencoded'; // H.627.2 I.3.1
/** The only segment format: MPEG-TS (NOTES 14). */
export const VR_SEGMENT_CONTENT_TYPE = 'video/mp2t'; // H.627.2 I.3.1, OVC cloud_record.md 2
/** Headers of every Vr reply, success or failure. */
export const VR_REPLY_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST',
} as const; // H.627.2 I.3.1–I.3.5
/** The Vr operations. */
export const VR_OPS = ['create', 'save', 'fail', 'getcurrenttime', 'stat'] as const;
/** A Vr operation. */
export type VrOp = (typeof VR_OPS)[number];

/**
 * Other names real devices use for a field: OVC's segment uploader sends the piggybacked
 * confirmation as `last_file_name` (docs/protocol.md, "Variants accepted from devices").
 */
export const VR_FIELD_ALIASES: Readonly<Record<string, string>> = { last_file_name: 'name' };

const NON_NEGATIVE_INTEGER = /^\d+$/;
const NON_NEGATIVE_DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

/**
 * Most seconds of video one `stat` may report dropped: a year. Platform's choice: a device
 * reports at least at every reconnection; more than a year of loss is not a count but a fault.
 */
export const VR_DROPPED_TIME_MAX_S = 366 * 24 * 3600;
/**
 * Most segments one `stat` may report dropped: a year of one-second segments (the shortest a
 * StartRecord asks for), which also fits the int4 column `dropped_nb`.
 */
export const VR_DROPPED_NB_MAX = VR_DROPPED_TIME_MAX_S;

/** A form field holding a non-negative integer from 0 to `max`. */
const formInt = (max: number) =>
  text(DECIMAL_MAX_CHARS).regex(NON_NEGATIVE_INTEGER, 'expected a non-negative integer').transform(Number).pipe(z.int().min(0).max(max));
/** A form field holding a non-negative decimal number up to `max`, above 0 when `positive`. */
const formNumber = (max: number, positive = false) => {
  const n = z.number().max(max);
  return text(DECIMAL_MAX_CHARS)
    .regex(NON_NEGATIVE_DECIMAL, 'expected a non-negative number')
    .transform(Number)
    .pipe(positive ? n.gt(0) : n.min(0));
};
/** A form field holding 0 or 1; absent means 0. */
const FormFlag = z
  .enum(['0', '1'])
  .transform((flag): 0 | 1 => (flag === '1' ? 1 : 0))
  .default(0);
/**
 * A segment name as the platform returned it from create (`<start ms>-<base36>.ts`), or any other
 * file-safe name: the I.3 examples call segments `0003.ts`; an unknown name is the platform's
 * answer to give, not a parse error. Never `.` or `..`, a path, or a control character.
 */
export const VrSegmentName = text(SEGMENT_NAME_MAX_CHARS, 1).regex(
  /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/,
  'expected a segment name (letters, digits, ".", "_", "-")',
);

/** create: allocate the next segment's upload URL, confirming the previous one if `name` is set. */
export const VrCreate = z.object({
  op: z.literal('create'),
  /** Compared case-insensitively; only video/mp2t. */
  content_type: text(NAME_MAX_CHARS)
    .transform((type) => type.trim().toLowerCase())
    .pipe(z.literal(VR_SEGMENT_CONTENT_TYPE)),
  /** Segment size, bytes: at most the platform's largest segment. */
  size: formInt(SEG_MAX_SIZE_MAX_BYTES),
  /** Recording start, seconds since the epoch, up to EPOCH_S_MAX. */
  start: formNumber(EPOCH_S_MAX),
  /** Segment duration, seconds: above 0, at most the platform's longest segment. */
  duration: formNumber(SEG_DURATION_MAX_S, true),
  /** 1 when this segment's timestamps do not follow the previous one's. */
  discontinue: FormFlag,
  /** 1 asks for an https upload URL. */
  https: FormFlag,
  /** The previous segment, confirmed with this create (9.3.4.1.3, NOTES 15). */
  name: VrSegmentName.optional(),
});
/** A create request. */
export type VrCreate = z.infer<typeof VrCreate>;
/** save: the segment `name` is uploaded; keep it. */
export const VrSave = z.object({ op: z.literal('save'), name: VrSegmentName });
/** A save request. */
export type VrSave = z.infer<typeof VrSave>;
/** fail: uploading segment `name` finally failed; clean it up (9.3.4.1.2). */
export const VrFail = z.object({ op: z.literal('fail'), name: VrSegmentName });
/** A fail request. */
export type VrFail = z.infer<typeof VrFail>;
/** getcurrenttime: the platform's clock. */
export const VrGetCurrentTime = z.object({ op: z.literal('getcurrenttime') });
/** A getcurrenttime request. */
export type VrGetCurrentTime = z.infer<typeof VrGetCurrentTime>;
/** stat: segments and seconds of video dropped since the last report (both default 0). */
export const VrStat = z.object({
  op: z.literal('stat'),
  dropped_nb: formInt(VR_DROPPED_NB_MAX).default(0),
  dropped_time: formNumber(VR_DROPPED_TIME_MAX_S).default(0),
});
/** A stat request. */
export type VrStat = z.infer<typeof VrStat>;

/** Any Vr request, discriminated on `op`. */
export const VrRequest = z.discriminatedUnion('op', [VrCreate, VrSave, VrFail, VrGetCurrentTime, VrStat]);
/** Any Vr request. */
export type VrRequest = z.infer<typeof VrRequest>;

/** create's answer: the segment name and its single-use upload URL, as `url` and OVC's `uri` (NOTES 15). */
export const VrCreateResp = z.object({ name: VrSegmentName, url: text(URL_MAX_BYTES), uri: text(URL_MAX_BYTES) });
/** create's answer. */
export type VrCreateResp = z.infer<typeof VrCreateResp>;
/** getcurrenttime's answer: seconds since the epoch, with a fraction. */
export const VrCurrentTimeResp = z.object({ currenttime: z.number().min(0).max(EPOCH_S_MAX) });
/** getcurrenttime's answer. */
export type VrCurrentTimeResp = z.infer<typeof VrCurrentTimeResp>;
/** The answer of save, fail and stat ("None"): `{}`. */
export const VrOkResp = z.object({});
/** An empty Vr answer. */
export type VrOkResp = z.infer<typeof VrOkResp>;
/** A failed Vr answer, sent with a 4xx/5xx status. */
export const VrFailure = z.object({ info: text(INFO_MAX_CHARS) });
/** A Vr failure body. */
export type VrFailure = z.infer<typeof VrFailure>;

/**
 * create's answer for segment `name` uploaded to `url`, under both names devices read.
 * @example vrCreateResp('0003.ts', 'https://cs.example/u/0003.ts?t=…')
 */
export function vrCreateResp(name: string, url: string): VrCreateResp {
  return { name, url, uri: url };
}

/**
 * Parse a Vr request body. Field names are matched case-insensitively (the first occurrence wins),
 * an empty value counts as absent, `op` is compared case-insensitively, and OVC aliases apply.
 * @example parseVrForm('op=save&name=0003.ts') // { ok: true, value: { op: 'save', name: '0003.ts' } }
 */
export function parseVrForm(body: string | URLSearchParams, maxBytes: number = VR_MAX_FORM_BYTES): Result<VrRequest> {
  if (typeof body === 'string' && new TextEncoder().encode(body).length > maxBytes) {
    return { ok: false, error: `body: too large (limit ${maxBytes} bytes)` };
  }
  const form = body instanceof URLSearchParams ? body : new URLSearchParams(body);
  // No prototype: a field named `constructor` or `__proto__` is just a field.
  const fields: Record<string, string> = Object.create(null);
  for (const [key, value] of form) {
    const name = key.toLowerCase();
    if (value !== '' && !(name in fields)) fields[name] = value;
  }
  for (const [alias, name] of Object.entries(VR_FIELD_ALIASES)) {
    const value = fields[alias];
    if (value !== undefined && !(name in fields)) fields[name] = value;
  }
  const op = fields['op'];
  if (op !== undefined) fields['op'] = op.toLowerCase();
  return parseWith(VrRequest, fields);
}
