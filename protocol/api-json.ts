/** The JSON primitives the API's response schemas share (protocol/api-responses.ts). @module */
import { z } from 'zod';

/** Epoch milliseconds. */
export const EpochMs = z.number().describe('milliseconds since the epoch');
/** An ISO 8601 date and time. */
export const IsoTime = z.string().describe('ISO 8601 date and time');
/** Any JSON value (a machine's state value, an actor's context). */
export const AnyJson = z.unknown();
/** An open JSON object. */
export const JsonObject = z.record(z.string(), z.unknown());
