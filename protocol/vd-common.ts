/**
 * Field schemas shared by the Vd messages (H.627.2 9.3.2, Appendix I). Objects strip unknown
 * fields (docs/protocol.md, "General reading rules"); optional fields treat `null` as absent (I.2.1, I.2.2).
 * @module
 */
import { z } from 'zod'
import { TZ_MAX_H, TZ_MIN_H } from './constants.ts'
import { DeviceIdentity } from './identity.ts'

/** Params of a message that has none: absent (9.3.2.1) or an object, whose fields are ignored. */
export const NoParams = z.object({}).optional()
/** Params of a message that has none. */
export type NoParams = z.infer<typeof NoParams>

/** The answer of an RPC whose spec says "None": `{}` (NOTES "Message framing"). */
export const EmptyResp = z.object({})
/** An empty RPC answer. */
export type EmptyResp = z.infer<typeof EmptyResp>

/**
 * An optional field that also accepts `null` for "absent" (I.2.1: "null or does not exist"); the
 * key stays optional in the parsed type.
 * @example z.object({ alarm: optional(z.int()) })
 */
export function optional<T extends z.ZodType>(schema: T) {
  return z.optional(schema.nullable().transform((value) => value ?? undefined))
}

/**
 * An optional text field where `null` and `''` both mean "absent" (I.2.1, I.2.2, I.2.25), with an
 * optional check on present values.
 * @example optionalText(isHostPort, 'expected host:port')
 */
export function optionalText(check: (text: string) => boolean = () => true, message = 'invalid value') {
  return z.optional(
    z
      .string()
      .nullable()
      .transform((value) => (value === null || value === '' ? undefined : value))
      .refine((value) => value === undefined || check(value), message),
  )
}

/** An optional text field where `null` and `''` both mean "absent". */
export const OptionalText = optionalText()

/** An integer >= 0 (counts, sizes, seconds). */
export const NonNegative = z.int().min(0)
/** An integer >= 1. */
export const Positive = z.int().min(1)

/** A device's own channel number: 0 for a single camera, several for an NVR (NOTES 1). */
export const Channel = NonNegative

/** A text field that must not be empty (ids, names, models). */
export const Text = z.string().min(1)

/** An absolute URL (http, https, srt…). */
export const Url = z.string().refine((text) => URL.canParse(text), 'expected an absolute URL')

/** The logged-in device's identity, optional in PU → platform messages (NOTES "Message framing", 7). */
export const MacId = optional(DeviceIdentity)

/** A time zone: hours east of UTC, negative west (NOTES 6). */
export const Tz = z.int().min(TZ_MIN_H).max(TZ_MAX_H)

/** A log-upload task id: int in H.627.2, string in OVC; compared as text (NOTES 11). */
export const TransId = z
  .union([z.int(), z.string().min(1)], { error: 'expected an integer or a non-empty string' })
  .transform((id) => String(id))

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/
const DATETIME_SHORT_YEAR = /^(\d{2})(-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})$/
/** Century assumed for the two-digit years some devices send ("YY-MM-DD…", I.2.11). */
const SHORT_YEAR_CENTURY = '20'
const DATETIME_FORMAT = 'expected a date-time yyyy-MM-ddTHH:mm:ss'

/** True when `text` is `yyyy-MM-ddTHH:mm:ss` naming a real calendar instant. */
export function isDateTime(text: string): boolean {
  const parts = DATETIME.exec(text)?.slice(1).map(Number)
  if (parts === undefined) return false
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  return (
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day &&
    at.getUTCHours() === hour &&
    at.getUTCMinutes() === minute &&
    at.getUTCSeconds() === second
  )
}

/** A date-time the platform sends: exactly `yyyy-MM-ddTHH:mm:ss` (I.2.9, I.2.29). */
export const DateTime = z.string().refine(isDateTime, DATETIME_FORMAT)

/**
 * A date-time a device sends: `yyyy-MM-ddTHH:mm:ss`, or the spec's literal `YY-MM-DDTHH:MM:SS`
 * (I.2.10, I.2.11) read as 20YY; normalised to four digits (NOTES 12).
 */
export const DeviceDateTime = z
  .string()
  .transform((text) => text.replace(DATETIME_SHORT_YEAR, `${SHORT_YEAR_CENTURY}$1$2`))
  .refine(isDateTime, DATETIME_FORMAT)
