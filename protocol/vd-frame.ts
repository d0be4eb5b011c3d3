/**
 * The Vd frame layer (H.627.2 9.3.2.1, Tables 9-1 and 9-2): one WebSocket message is one JSON
 * object, an RPC request, an RPC answer (success or `err`), or an event. Parsing here checks the
 * envelope only; the payload is checked per message with validateVdParams / validateVdResp.
 * @module
 */
import { VD_ERR_MSG_MAX_CHARS, VD_MAX_FRAME_BYTES, VD_NAME_MAX_CHARS } from './constants.ts';
import { isStorableText } from './text.ts';
import type { VdEventName, VdName, VdParamsInput, VdRpcName } from './vd.ts';

/** A parsed Vd frame. `invalid` carries `seq` whenever it could be read, so the platform can answer `err` 400. */
export type VdFrame =
  | { kind: 'request'; req: string; seq: number; params: Record<string, unknown> | undefined }
  | { kind: 'response'; seq: number; resp: unknown }
  | { kind: 'error'; seq: number; err: { code: number; msg: string } }
  | { kind: 'event'; event: string; params: Record<string, unknown> | undefined }
  | { kind: 'invalid'; seq?: number; reason: string };

/** Frame data as a WebSocket delivers it. */
export type VdFrameData = string | ArrayBuffer | Uint8Array;

/** Worst-case UTF-8 bytes per UTF-16 code unit. */
const UTF8_MAX_BYTES_PER_UNIT = 3;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();
/** What replaces a character that cannot be stored (Unicode's own choice for that). */
const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * Parse one Vd WebSocket message into a request, answer, error answer, event, or `invalid` with
 * the reason (not UTF-8, not JSON, too large, missing seq, both req and event…).
 * @example parseVdFrame('{"req":"Keepalive","params":{"state":1,"channels":[]},"seq":7}')
 */
export function parseVdFrame(data: VdFrameData, maxBytes: number = VD_MAX_FRAME_BYTES): VdFrame {
  const text = decode(data, maxBytes);
  if (typeof text !== 'string') return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid('not JSON');
  }
  if (!isObject(json)) return invalid('not a JSON object');
  const seq = readSeq(json);
  const hasReq = 'req' in json;
  const hasEvent = 'event' in json;
  if (hasReq && hasEvent) return invalid('both req and event', typeof seq === 'number' ? seq : undefined);
  if (hasReq) return parseRequest(json, seq);
  if (hasEvent) return parseEvent(json);
  return parseAnswer(json, seq);
}

/** The frame's `seq`: a number when it is a safe integer, the reason when present but not one. */
function readSeq(json: Record<string, unknown>): number | string | undefined {
  if (!('seq' in json)) return undefined;
  return Number.isSafeInteger(json['seq']) ? (json['seq'] as number) : 'seq not an integer';
}

function parseRequest(json: Record<string, unknown>, seq: number | string | undefined): VdFrame {
  const seqOk = typeof seq === 'number' ? seq : undefined;
  if (typeof json['req'] !== 'string' || json['req'] === '') return invalid('req not a non-empty string', seqOk);
  if (!isMessageName(json['req'])) return invalid(`req not a message name (1-${VD_NAME_MAX_CHARS} characters)`, seqOk);
  if (seq === undefined) return invalid('missing seq');
  if (typeof seq === 'string') return invalid(seq);
  const params = readParams(json);
  if (params === false) return invalid('params not an object', seq);
  return { kind: 'request', req: json['req'], seq, params };
}

function parseEvent(json: Record<string, unknown>): VdFrame {
  if (typeof json['event'] !== 'string' || json['event'] === '') return invalid('event not a non-empty string');
  if (!isMessageName(json['event'])) return invalid(`event not a message name (1-${VD_NAME_MAX_CHARS} characters)`);
  const params = readParams(json);
  if (params === false) return invalid('params not an object');
  return { kind: 'event', event: json['event'], params };
}

function parseAnswer(json: Record<string, unknown>, seq: number | string | undefined): VdFrame {
  const hasResp = 'resp' in json;
  const hasErr = 'err' in json;
  if (!hasResp && !hasErr) return invalid('neither req, event, resp nor err', typeof seq === 'number' ? seq : undefined);
  if (seq === undefined) return invalid('missing seq');
  if (typeof seq === 'string') return invalid(seq);
  if (hasResp && hasErr) return invalid('both resp and err', seq);
  if (hasResp) return { kind: 'response', seq, resp: json['resp'] };
  const err = json['err'];
  if (!isObject(err)) return invalid('err not an object', seq);
  if (!Number.isSafeInteger(err['code'])) return invalid('err.code not an integer', seq);
  // `msg` is required by Table 9-1; a device that omits it still reported a code worth keeping.
  const msg = typeof err['msg'] === 'string' ? storableMessage(err['msg']) : '';
  return { kind: 'error', seq, err: { code: err['code'] as number, msg } };
}

/** A message name short enough to log and echo, and storable (protocol/text.ts). */
function isMessageName(name: string): boolean {
  return name.length <= VD_NAME_MAX_CHARS && isStorableText(name);
}

/**
 * A device's error text made fit to store and show: cut to VD_ERR_MSG_MAX_CHARS, NULs and unpaired
 * surrogates replaced by U+FFFD. Kept rather than refused: the code is what the platform acts on,
 * and refusing the answer would leave the request waiting for its timeout.
 */
function storableMessage(msg: string): string {
  if (msg.length <= VD_ERR_MSG_MAX_CHARS && isStorableText(msg)) return msg;
  return msg.slice(0, VD_ERR_MSG_MAX_CHARS).toWellFormed().replaceAll('\0', REPLACEMENT_CHARACTER);
}

/** `params`: absent or null → undefined (9.3.2.1), an object → itself, anything else → false. */
function readParams(json: Record<string, unknown>): Record<string, unknown> | undefined | false {
  const params = json['params'];
  if (params === undefined || params === null) return undefined;
  return isObject(params) ? params : false;
}

/** The frame's text, or `invalid` when it is too large or not UTF-8. */
function decode(data: VdFrameData, maxBytes: number): string | VdFrame {
  if (typeof data === 'string') {
    // A UTF-16 code unit is 1 to 3 UTF-8 bytes: encode only when the bound is unclear.
    const tooLarge = data.length > maxBytes || (data.length * UTF8_MAX_BYTES_PER_UNIT > maxBytes && utf8Encoder.encode(data).length > maxBytes);
    return tooLarge ? invalid(`too large (limit ${maxBytes} bytes)`) : data;
  }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length > maxBytes) return invalid(`too large (limit ${maxBytes} bytes)`);
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return invalid('not UTF-8');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(reason: string, seq?: number): VdFrame {
  return seq === undefined ? { kind: 'invalid', reason } : { kind: 'invalid', seq, reason };
}

// ── Builders: JSON text for the wire, fields in the order of Tables 9-1 and 9-2 ──

/** Optional params argument: required for messages that have params, optional for the others. */
type ParamsArg<N extends VdName> = undefined extends VdParamsInput<N> ? [params?: VdParamsInput<N>] : [params: VdParamsInput<N>];

/**
 * An RPC request; `params` is omitted when absent (9.3.2.1).
 * @example vdRequest('PushLive', 3, { channel: 0, url, stream_id: 's1', max_bitrate: 0 })
 */
export function vdRequest<N extends VdRpcName>(name: N, seq: number, ...[params]: ParamsArg<N>): string {
  return JSON.stringify(params === undefined ? { req: name, seq } : { req: name, params, seq });
}

/**
 * A successful RPC answer; `resp` defaults to `{}` (the spec's "None").
 * @example vdResponse(7, {}) // '{"seq":7,"resp":{}}'
 */
export function vdResponse(seq: number, resp: object = {}): string {
  return JSON.stringify({ seq, resp });
}

/**
 * A failed RPC answer.
 * @example vdError(7, VD_ERR.UNSUPPORTED_METHOD, 'unsupported RPC method "Foo"')
 */
export function vdError(seq: number, code: number, msg: string): string {
  return JSON.stringify({ seq, err: { code, msg } });
}

/**
 * An event; `params` is omitted when absent (9.3.2.1.2).
 * @example vdEvent('CtrlPTZ', { channel: 0, op: 'left', value: 50 })
 */
export function vdEvent<N extends VdEventName>(name: N, ...[params]: ParamsArg<N>): string {
  return JSON.stringify(params === undefined ? { event: name } : { event: name, params });
}
