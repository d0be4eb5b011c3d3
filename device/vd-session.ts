/**
 * One logged-in Vd connection seen from the PU (H.627.2 9.3.2.1): its own `seq` counter for
 * requests it sends, answers matched by `seq` with a timeout, platform requests answered in
 * arrival order (Table 9-1), events dispatched. Built on the catalog's frame layer; the socket is
 * anything with `send` and `close`.
 * @module
 */
import {
  parseVdFrame,
  RPC_TIMEOUT_S,
  validateVdResp,
  type vd,
  VD_ERR,
  vdError,
  vdEvent,
  vdRequest,
  vdResponse,
  type VdEventName,
  type VdFrameData,
  type VdParamsInput,
  type VdResp,
  type VdRpcName,
} from '../protocol/index.ts';
import type { DeviceClock } from './clock.ts';
import { errorText } from './http.ts';

/** RPCs the PU sends (Keepalive, GetServerInfo, AlarmNotify). */
export type PuRpcName = { [N in VdRpcName]: (typeof vd)[N]['from'] extends 'pu' ? N : never }[VdRpcName];
/** Events the PU sends (Bind, BatteryChange, LogDone). */
export type PuEventName = { [N in VdEventName]: (typeof vd)[N]['from'] extends 'pu' ? N : never }[VdEventName];
/** RPCs the platform sends. */
export type PlatformRpcName = Exclude<VdRpcName, PuRpcName>;
/** Events the platform sends. */
export type PlatformEventName = Exclude<VdEventName, PuEventName>;

/** How the device answers a request: `resp`, or `err` (Table 9-1). */
export type VdAnswer = { resp: object } | { err: { code: number; msg: string } };

/** What the PU can send the platform while a connection is up. */
export interface Uplink {
  request<N extends PuRpcName>(name: N, params: VdParamsInput<N>): Promise<VdResp<N>>;
  event<N extends PuEventName>(name: N, params: VdParamsInput<N>): void;
}

/** A WebSocket, or anything that sends text frames. */
export interface VdSocketLike {
  send(text: string): void;
}

/** One frame in or out, for the device's records (`received`, `sent`). */
export interface VdTraffic {
  direction: 'in' | 'out';
  kind: 'request' | 'response' | 'error' | 'event' | 'invalid';
  name?: string;
  seq?: number;
  params?: unknown;
  resp?: unknown;
  err?: { code: number; msg: string };
  reason?: string;
}

/** The platform answered a PU request with `err`. */
export class VdRemoteError extends Error {
  constructor(
    readonly code: number,
    msg: string,
  ) {
    super(`err ${code}: ${msg}`);
  }
}

/** The platform answered a PU request with something its catalog schema rejects. */
export class VdInvalidAnswerError extends Error {}

/** What a session is built with. */
export interface VdSessionOptions {
  socket: VdSocketLike;
  clock: DeviceClock;
  /** Answer one platform request (name not yet checked). */
  onRequest(name: string, params: Record<string, unknown> | undefined): Promise<VdAnswer>;
  /** Act on one platform event (name not yet checked). */
  onEvent(name: string, params: Record<string, unknown> | undefined): void;
  onTraffic?(traffic: VdTraffic): void;
  /** How long a PU request waits for its answer, ms. */
  rpcTimeoutMs?: number;
}

interface Pending {
  name: PuRpcName;
  resolve(resp: unknown): void;
  reject(err: Error): void;
  timer: unknown;
}

const MS_PER_S = 1_000;
const sendRequest = vdRequest as (name: string, seq: number, params?: unknown) => string;
const sendEvent = vdEvent as (name: string, params?: unknown) => string;

/** A Vd session over one socket. */
export class VdSession implements Uplink {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private answers: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: VdSessionOptions) {}

  /** Send a PU RPC; resolves with the validated answer, rejects on `err`, timeout or close. */
  request<N extends PuRpcName>(name: N, params: VdParamsInput<N>): Promise<VdResp<N>> {
    if (this.closed) return Promise.reject(new Error('Vd connection closed'));
    const seq = ++this.seq; // 9.3.2.1: +1 per request, own counter per direction
    return new Promise((resolve, reject) => {
      const timeoutMs = this.opts.rpcTimeoutMs ?? RPC_TIMEOUT_S * MS_PER_S;
      const timer = this.opts.clock.setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`${name} unanswered for ${timeoutMs / MS_PER_S} s`));
      }, timeoutMs);
      this.pending.set(seq, { name, resolve: resolve as (resp: unknown) => void, reject, timer });
      this.write(sendRequest(name, seq, params), { direction: 'out', kind: 'request', name, seq, params });
    });
  }

  /** Send a PU event. */
  event<N extends PuEventName>(name: N, params: VdParamsInput<N>): void {
    if (this.closed) throw new Error('Vd connection closed');
    this.write(sendEvent(name, params), { direction: 'out', kind: 'event', name, params });
  }

  /** Handle one frame from the platform. */
  receive(data: VdFrameData): void {
    const frame = parseVdFrame(data);
    const trace = this.opts.onTraffic ?? (() => {});
    if (frame.kind === 'request') {
      trace({ direction: 'in', kind: 'request', name: frame.req, seq: frame.seq, params: frame.params });
      return this.answerInOrder(frame.seq, frame.req, this.opts.onRequest(frame.req, frame.params));
    }
    if (frame.kind === 'event') {
      trace({ direction: 'in', kind: 'event', name: frame.event, params: frame.params });
      return this.opts.onEvent(frame.event, frame.params);
    }
    if (frame.kind === 'response' || frame.kind === 'error')
      return this.settle(frame.seq, frame.kind === 'response' ? { resp: frame.resp } : { err: frame.err });
    trace({ direction: 'in', kind: 'invalid', seq: frame.seq, reason: frame.reason });
    // A malformed request whose seq could be read is answered err 400 (NOTES "Message framing").
    if (frame.seq !== undefined && looksLikeRequest(data))
      this.answerInOrder(frame.seq, '(invalid)', Promise.resolve({ err: { code: VD_ERR.BAD_INPUT, msg: frame.reason } }));
  }

  /** The connection is gone: pending requests fail, queued answers are dropped. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const [seq, p] of this.pending) {
      this.opts.clock.clearTimeout(p.timer);
      p.reject(new Error(`Vd connection closed (${reason})`));
      this.pending.delete(seq);
    }
  }

  /** Answers leave in the order requests arrived, even when a later one finishes first (9.3.2.1.1). */
  private answerInOrder(seq: number, name: string, answer: Promise<VdAnswer>): void {
    const settled = answer.catch((err: unknown): VdAnswer => ({ err: { code: VD_ERR.SERVER_ERROR, msg: errorText(err) } }));
    this.answers = this.answers.then(async () => {
      const result = await settled;
      if (this.closed) return;
      if ('resp' in result) this.write(vdResponse(seq, result.resp), { direction: 'out', kind: 'response', name, seq, resp: result.resp });
      else this.write(vdError(seq, result.err.code, result.err.msg), { direction: 'out', kind: 'error', name, seq, err: result.err });
    });
  }

  private settle(seq: number, answer: { resp: unknown } | { err: { code: number; msg: string } }): void {
    const p = this.pending.get(seq);
    const trace = this.opts.onTraffic ?? (() => {});
    trace({ direction: 'in', kind: 'resp' in answer ? 'response' : 'error', name: p?.name, seq, ...answer });
    if (p === undefined) return trace({ direction: 'in', kind: 'invalid', seq, reason: `answer to unknown seq ${seq}` });
    this.pending.delete(seq);
    this.opts.clock.clearTimeout(p.timer);
    if ('err' in answer) return p.reject(new VdRemoteError(answer.err.code, answer.err.msg));
    const checked = validateVdResp(p.name, answer.resp);
    if (checked.ok) p.resolve(checked.value);
    else p.reject(new VdInvalidAnswerError(`${p.name} answer invalid: ${checked.error}`));
  }

  private write(text: string, traffic: VdTraffic): void {
    this.opts.onTraffic?.(traffic);
    this.opts.socket.send(text);
  }
}

/** True when a frame that failed to parse is a JSON object with `req` (so it deserves an answer). */
function looksLikeRequest(data: VdFrameData): boolean {
  try {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && 'req' in json;
  } catch {
    return false;
  }
}
