/**
 * Field schemas shared by the Vd messages (H.627.2 9.3.2, Appendix I). Objects strip unknown
 * fields (docs/protocol.md, "General reading rules"); optional fields treat `null` as absent (I.2.1, I.2.2).
 * @module
 */
import { z } from 'zod';
import { CHANNEL_MAX, NAME_MAX_CHARS, TRANS_ID_INT_MAX, TRANS_ID_MAX_CHARS, TZ_MAX_H, TZ_MIN_H, URL_MAX_BYTES } from './constants.ts';
import { DeviceIdentity } from './identity.ts';
import { text } from './text.ts';

/** Params of a message that has none: absent (9.3.2.1) or an object, whose fields are ignored. */
export const NoParams = z.object({}).optional();
/** Params of a message that has none. */
export type NoParams = z.infer<typeof NoParams>;

/** The answer of an RPC whose spec says "None": `{}` (NOTES "Message framing"). */
export const EmptyResp = z.object({});
/** An empty RPC answer. */
export type EmptyResp = z.infer<typeof EmptyResp>;

/**
 * An optional field that also accepts `null` for "absent" (I.2.1: "null or does not exist"); the
 * key stays optional in the parsed type.
 * @example z.object({ alarm: optional(z.int()) })
 */
export function optional<T extends z.ZodType>(schema: T) {
  return z.optional(schema.nullable().transform((value) => value ?? undefined));
}

/**
 * An optional text field where `null` and `''` both mean "absent" (I.2.1, I.2.2, I.2.25): `present`
 * says what a present value must be.
 * @example optionalText(HostPort)
 */
export function optionalText<T extends z.ZodType<string, string>>(present: T) {
  // A preprocess, not a union: a union would try (and fail) `null` and `''` on every present value.
  return z.optional(z.preprocess((value) => (value === null || value === '' ? undefined : value), present.optional()));
}

/** An integer from `min` to `max` (counts, sizes, seconds), both bounds named by the caller. */
export function int(min: number, max: number) {
  return z.int().min(min).max(max);
}

/** A device's own channel number: 0 for a single camera, several for an NVR (NOTES 1), up to CHANNEL_MAX. */
export const Channel = int(0, CHANNEL_MAX);

/** A text field that must not be empty (ids, names, models), at most NAME_MAX_CHARS. */
export const Text = text(NAME_MAX_CHARS, 1);

/** An optional name where `null` and `''` both mean "absent". */
export const OptionalText = optionalText(Text);

const utf8 = new TextEncoder();

/** Length of `text` in UTF-8 bytes. */
export function utf8Bytes(text: string): number {
  // A UTF-16 code unit takes 1 to 3 bytes: ASCII text needs no encoding to be measured.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, control characters included, is one byte each
  return /^[\x00-\x7f]*$/.test(text) ? text.length : utf8.encode(text).length;
}

/**
 * An absolute URL (http, https, srt…) of at most `maxBytes` bytes of UTF-8.
 * @example url(CBK_URL_MAX_BYTES)
 */
export function url(maxBytes: number) {
  return text(maxBytes, 1)
    .refine((u) => utf8Bytes(u) <= maxBytes, `must be <= ${maxBytes} bytes long`)
    .refine((u) => URL.canParse(u), 'expected an absolute URL');
}

/** An absolute URL (http, https, srt…), at most URL_MAX_BYTES. */
export const Url = url(URL_MAX_BYTES);

/** An optional absolute URL where `null` and `''` both mean "absent". */
export const OptionalUrl = optionalText(Url);

/** The logged-in device's identity, optional in PU → platform messages (NOTES "Message framing", 7). */
export const MacId = optional(DeviceIdentity);

/** A time zone: hours east of UTC, negative west (NOTES 6). */
export const Tz = z.int().min(TZ_MIN_H).max(TZ_MAX_H);

/** A `trans_id` as text: 1-64 ASCII letters, digits, `-` and `_` (NOTES 11). */
export const TRANS_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${TRANS_ID_MAX_CHARS}}$`);
const TRANS_ID_FORMAT = `expected an integer or 1-${TRANS_ID_MAX_CHARS} letters, digits, "-" or "_"`;

/** A `trans_id` written as text (and in a URL path): a bounded, file-safe token (NOTES 11). */
export const TransIdText = text(TRANS_ID_MAX_CHARS, 1).regex(TRANS_ID_PATTERN, TRANS_ID_FORMAT);

/**
 * A log-upload task id: int in H.627.2, string in OVC; normalised to text and compared as text
 * (NOTES 11). Never a file name: the platform names files from ids it makes itself.
 */
export const TransId = z.union([z.int().min(0).max(TRANS_ID_INT_MAX), TransIdText], { error: TRANS_ID_FORMAT }).transform((id) => String(id));

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
const DATETIME_SHORT_YEAR = /^(\d{2})(-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})$/;
/** Century assumed for the two-digit years some devices send ("YY-MM-DD…", I.2.11). */
const SHORT_YEAR_CENTURY = '20';
const DATETIME_FORMAT = 'expected a date-time yyyy-MM-ddTHH:mm:ss';

/** True when `text` is `yyyy-MM-ddTHH:mm:ss` naming a real calendar instant. */
export function isDateTime(text: string): boolean {
  const parts = DATETIME.exec(text)?.slice(1).map(Number);
  if (parts === undefined) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day &&
    at.getUTCHours() === hour &&
    at.getUTCMinutes() === minute &&
    at.getUTCSeconds() === second
  );
}

/** Characters of `yyyy-MM-ddTHH:mm:ss`. */
const DATETIME_CHARS = 19;

/** A date-time the platform sends: exactly `yyyy-MM-ddTHH:mm:ss` (I.2.9, I.2.29). */
export const DateTime = text(DATETIME_CHARS).refine(isDateTime, DATETIME_FORMAT);

/**
 * A date-time a device sends: `yyyy-MM-ddTHH:mm:ss`, or the spec's literal `YY-MM-DDTHH:MM:SS`
 * (I.2.10, I.2.11) read as 20YY; normalised to four digits (NOTES 12).
 */
export const DeviceDateTime = text(DATETIME_CHARS)
  .transform((text) => text.replace(DATETIME_SHORT_YEAR, `${SHORT_YEAR_CENTURY}$1$2`))
  .refine(isDateTime, DATETIME_FORMAT);
