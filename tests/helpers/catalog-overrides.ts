/**
 * Generators for the catalog's formats that a structural generator (zod-arbitrary.ts) would
 * rarely hit by chance: calendar date-times, URLs, `host:port`, MAC addresses and device
 * identities, API instants and time ranges, Vr's content type. Keyed by the very schema objects
 * of the catalog, so a schema that reuses one (e.g. every `Url`) is covered by it.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { CBK_URL_MAX_BYTES, DEVICE_ID_MAX_CHARS, EPOCH_S_MAX, PORT_MAX, URL_MAX_BYTES } from '../../protocol/constants.ts';
import { DeviceIdentity } from '../../protocol/identity.ts';
import { MacAddress } from '../../protocol/api.ts';
import { Instant, PLAYBACK_RANGE_MAX_S, RangeQuery } from '../../protocol/recording-api.ts';
import { DateTime, DeviceDateTime, Url, utf8Bytes } from '../../protocol/vd-common.ts';
import { HostPort } from '../../protocol/vd-device.ts';
import { CbkUrl } from '../../protocol/vd-media.ts';
import { VrCreate } from '../../protocol/vr.ts';
import { EVENT_ID_MAX_CHARS, EVENT_KINDS, EventCursor, EventInstant, EventKinds, WebhookUrl, WEBHOOK_URL_MAX_CHARS } from '../../protocol/events-api.ts';
import { EPOCH_MS_MAX } from '../../protocol/constants.ts';

/** Years of the date-times generated: any a device or the platform may write. */
const YEAR_MIN = 2000;
const YEAR_MAX = 2099;
/** Bytes of a MAC address. */
const MAC_BYTES = 6;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A date in YEAR_MIN–YEAR_MAX, whole seconds. */
const dates = fc.date({ min: new Date(Date.UTC(YEAR_MIN, 0, 1)), max: new Date(Date.UTC(YEAR_MAX, 11, 31, 23, 59, 59)), noInvalidDate: true });

/** `yyyy-MM-ddTHH:mm:ss` (UTC fields). */
function dateTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** A MAC address in one of the notations devices write, in either case. */
export const macAddresses: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: MAC_BYTES, maxLength: MAC_BYTES }), fc.constantFrom('', ':', '-', '.'), fc.boolean())
  .map(([bytes, sep, upper]) => {
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0'));
    const text = sep === '.' ? [0, 2, 4].map((i) => hex[i]! + hex[i + 1]!).join('.') : hex.join(sep);
    return upper ? text.toUpperCase() : text;
  });

/** An absolute URL of at most `maxBytes` bytes: web URLs, and the SRT URLs of PushLive (raw stream id, NOTES 17). */
function urls(maxBytes: number): fc.Arbitrary<string> {
  const srt = fc
    .tuple(fc.domain(), fc.integer({ min: 1, max: PORT_MAX }), fc.stringMatching(/^[0-9a-f]{16}$/))
    .map(([host, port, id]) => `srt://${host}:${port}?streamid=#!::r=${id},m=publish`);
  return fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), srt).filter((u) => utf8Bytes(u) <= maxBytes && URL.canParse(u));
}

/** An API instant: epoch seconds (maybe with a fraction) or an ISO 8601 date-time. */
const instants = fc.oneof(
  fc.integer({ min: 0, max: EPOCH_S_MAX }).map(String),
  fc.integer({ min: 0, max: EPOCH_S_MAX - 1 }).map((s) => `${s}.5`),
  dates.map((d) => d.toISOString()),
);

/** A `?from=&to=` range: either end may be absent; with both, from < to within PLAYBACK_RANGE_MAX_S. */
const ranges = fc.oneof(
  fc.record({ from: instants, to: instants }, { requiredKeys: [] }).filter((r) => r.from === undefined || r.to === undefined),
  fc
    .tuple(fc.integer({ min: 0, max: EPOCH_S_MAX - PLAYBACK_RANGE_MAX_S }), fc.integer({ min: 1, max: PLAYBACK_RANGE_MAX_S }))
    .map(([from, span]) => ({ from: String(from), to: String(from + span) })),
);

/** The events API's times: epoch milliseconds or an ISO 8601 date-time. */
const eventInstants = fc.oneof(
  fc.integer({ min: 0, max: EPOCH_MS_MAX }).map(String),
  dates.map((d) => d.toISOString()),
);
/** `kind=`: one or more known kinds, comma-separated. */
const eventKinds = fc.uniqueArray(fc.constantFrom(...EVENT_KINDS), { minLength: 1 }).map((k) => k.join(','));
/** A page's `next`: `<epoch ms>_<event id>`. */
const eventCursors = fc
  .tuple(fc.integer({ min: 0, max: EPOCH_MS_MAX }), fc.stringMatching(new RegExp(`^[\\x21-\\x7e]{1,${EVENT_ID_MAX_CHARS}}$`)))
  .map(([at, id]) => `${at}_${id}`);
/** Webhook URLs: https, no credentials, within the bound. */
const webhookUrls = fc
  .webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: true })
  .filter((u) => u.length <= WEBHOOK_URL_MAX_CHARS && new URL(u).username === '' && new URL(u).password === '');

/** The overrides of the whole catalog. */
export const CATALOG_OVERRIDES: ReadonlyMap<z.ZodType, fc.Arbitrary<unknown>> = new Map<z.ZodType, fc.Arbitrary<unknown>>([
  [DateTime, dates.map(dateTime)],
  // Devices may write the spec's literal two-digit year (NOTES 12).
  [DeviceDateTime, fc.tuple(dates, fc.boolean()).map(([d, short]) => (short ? dateTime(d).slice(2) : dateTime(d)))],
  [Url, urls(URL_MAX_BYTES)],
  [CbkUrl, urls(CBK_URL_MAX_BYTES)],
  [HostPort, fc.tuple(fc.domain(), fc.integer({ min: 0, max: PORT_MAX })).map(([h, p]) => `${h}:${p}`)],
  [DeviceIdentity, fc.oneof(macAddresses, fc.stringMatching(new RegExp(`^[\\x21-\\x7e]{1,${DEVICE_ID_MAX_CHARS}}$`)))],
  [MacAddress, macAddresses],
  [Instant, instants],
  [RangeQuery, ranges],
  [EventInstant, eventInstants],
  [EventKinds, eventKinds],
  [EventCursor, eventCursors],
  [WebhookUrl, webhookUrls],
  [VrCreate.shape.content_type, fc.constantFrom('video/mp2t', 'VIDEO/MP2T', 'Video/MP2T')],
]);
