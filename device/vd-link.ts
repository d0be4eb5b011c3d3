/**
 * The Vd socket actor the client machine invokes (`vdSocket`): opens the WebSocket with the login
 * query (Table 9-3), runs a VdSession over it with the camera's handlers, turns the machine's
 * commands into GetServerInfo and Keepalive, and reports open, failure (HTTP status, Retry-After)
 * and close back to the machine. The only module that touches a socket.
 * @module
 */
import { fromCallback } from 'xstate';
import type { SimulatedCamera } from './camera.ts';
import type { DeviceClock } from './clock.ts';
import { answerRequest, handleEvent, type HandlerContext } from './handlers.ts';
import { errorText, type DeviceHttp } from './http.ts';
import { loginNonce, vdLoginUrl } from './login-url.ts';
import type { PuClientEvent, VdCommand, VdSocketInput } from './pu-client.machine.ts';
import { VdInvalidAnswerError, VdRemoteError, VdSession, type VdTraffic } from './vd-session.ts';

/** HTTP status of a refused login (Table 9-3: the ID and password do not match). */
export const HTTP_UNAUTHORIZED = 401;
/** HTTP status of a locked-out device; its Retry-After is the least wait. */
export const HTTP_TOO_MANY_REQUESTS = 429;
/** Bun's WebSocket reports a refused upgrade as "Expected 101 status code: 401". */
export const STATUS_IN_ERROR = /status code:?\s*(\d{3})/i;

/** What the link needs from the device. */
export interface VdLinkOptions {
  camera: SimulatedCamera;
  password: string;
  signedLogin: boolean;
  sdk: string;
  http: DeviceHttp;
  clock: DeviceClock;
  onTraffic?(traffic: VdTraffic): void;
  /** A line for the device log and the SDK's logger. */
  log(line: string): void;
  /** Open a socket (default: Bun's WebSocket with the device's TLS options). */
  openSocket?(url: string): WebSocket;
  /** GetServerInfo's answer (its hibernation server and token, I.2.2). */
  onServerInfo?(resp: { hibernation?: string | null; hb_token?: string }): void;
}

/** Bun's WebSocket constructor, which takes TLS options (the DOM typing of the global does not say so). */
const BunWebSocket = WebSocket as unknown as new (url: string, options: Bun.WebSocketOptions) => WebSocket;

/** A login that failed before the socket opened, as the machine hears it. */
/** `unreachable`: nothing answered at the Vd address (connection refused, reset or timed out): the server is gone. */
export type LoginFailure = { type: 'vd.failed'; reason: string; retryAfterS?: number; unreachable?: boolean };

/** The `vdSocket` actor logic for `puClientMachine.provide({ actors: { vdSocket } })`. */
export function vdSocketLogic(opts: VdLinkOptions) {
  return fromCallback<VdCommand, VdSocketInput, PuClientEvent>(({ input, sendBack, receive }) => {
    let left = false; // the machine left the connection: it hears nothing more from this socket
    const tell = (event: PuClientEvent) => left || sendBack(event);
    const loginUrl = () =>
      vdLoginUrl(input.address, {
        id: opts.camera.id,
        password: opts.password,
        hardwareModel: opts.camera.hardwareModel,
        firmwareModel: opts.camera.firmwareModel,
        sdk: opts.sdk,
        reconnect: input.reconnect,
        ...(opts.signedLogin ? { signed: { ts: opts.camera.time.nowS(), nonce: loginNonce() } } : {}),
      });
    const open = opts.openSocket ?? ((url: string) => new BunWebSocket(url, { tls: opts.http.tls }));
    opts.log(`Vd connect ${input.address.scheme}://${input.address.host}:${input.address.port} reconnect=${input.reconnect}`);
    const ws = open(loginUrl());
    let session: VdSession | undefined;
    let lastError = '';
    const ctx: HandlerContext = { camera: opts.camera, signal: tell };

    ws.addEventListener('open', () => {
      session = new VdSession({
        socket: ws,
        clock: opts.clock,
        onRequest: (name, params) => answerRequest(name, params, ctx),
        onEvent: (name, params) => {
          const problem = handleEvent(name, params, ctx);
          if (problem !== undefined) opts.log(`event ${name} ignored: ${problem}`);
        },
        ...(opts.onTraffic ? { onTraffic: opts.onTraffic } : {}),
      });
      opts.camera.attach(session);
      tell({ type: 'vd.open' });
    });
    ws.addEventListener('message', (e: MessageEvent) => session?.receive(e.data as string | Uint8Array));
    ws.addEventListener('error', (e: Event) => {
      lastError = (e as ErrorEvent).message || 'WebSocket error';
    });
    ws.addEventListener('close', (e: CloseEvent) => {
      if (session !== undefined) {
        const reason = `socket closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`;
        session.close(reason);
        opts.camera.detach(session);
        return tell({ type: 'vd.closed', reason });
      }
      if (left) return;
      void loginFailure(lastError, opts.http, loginUrl).then(tell);
    });

    const commands: Record<VdCommand['type'], (s: VdSession) => void> = {
      'vd.send.getServerInfo': (s) =>
        s.request('GetServerInfo', { mac_id: opts.camera.mac, state: opts.camera.keepalive().state }).then(
          (resp) => {
            opts.onServerInfo?.(resp);
            tell({ type: 'vd.serverInfo', ...(resp.hb_interval === undefined ? {} : { hbIntervalS: resp.hb_interval }) });
          },
          (err: unknown) => (answered(err) ? tell({ type: 'vd.serverInfo' }) : opts.log(`GetServerInfo: ${errorText(err)}`)),
        ),
      'vd.send.keepalive': (s) =>
        s.request('Keepalive', opts.camera.keepalive()).then(
          () => tell({ type: 'vd.keepalive.ack' }),
          (err: unknown) => (answered(err) ? tell({ type: 'vd.keepalive.ack' }) : opts.log(`Keepalive: ${errorText(err)}`)),
        ),
    };
    receive((command) => {
      if (session !== undefined) commands[command.type](session);
    });

    return () => {
      left = true;
      session?.close('connection left');
      if (session !== undefined) opts.camera.detach(session);
      ws.close(1000, 'bye');
    };
  });
}

/** An answer came, even if `err` or malformed: the platform is there (anything but a timeout or close). */
function answered(err: unknown): boolean {
  return err instanceof VdRemoteError || err instanceof VdInvalidAnswerError;
}

/**
 * Why a login failed, from Bun's error text ("Expected 101 status code: 401"). A 429 carries
 * Retry-After, which Bun's WebSocket does not expose: one handshake-shaped GET without a
 * `Sec-WebSocket-Key` (it can never open a session) reads it; without it the wait is the backoff's.
 */
export async function loginFailure(errorMessage: string, http: DeviceHttp, loginUrl: () => string): Promise<LoginFailure> {
  const status = Number(STATUS_IN_ERROR.exec(errorMessage)?.[1] ?? 0);
  if (status === HTTP_UNAUTHORIZED) return { type: 'vd.failed', reason: 'login refused (HTTP 401)' };
  if (status === 0) return { type: 'vd.failed', reason: `connect failed (${errorMessage || 'closed'})`, unreachable: true };
  if (status !== HTTP_TOO_MANY_REQUESTS) return { type: 'vd.failed', reason: `login failed (HTTP ${status})` };
  const retryAfterS = await probeRetryAfter(http, loginUrl()).catch(() => undefined);
  return {
    type: 'vd.failed',
    reason: `locked out (HTTP 429${retryAfterS === undefined ? '' : `, Retry-After ${retryAfterS} s`})`,
    ...(retryAfterS === undefined ? {} : { retryAfterS }),
  };
}

/** Read Retry-After (seconds or an HTTP date) from the Vd endpoint's answer to a keyless handshake. */
export async function probeRetryAfter(http: DeviceHttp, wsUrl: string): Promise<number | undefined> {
  const res = await http.fetch(wsUrl.replace(/^ws/, 'http'), { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13' } });
  await res.body?.cancel();
  return parseRetryAfter(res.headers.get('Retry-After'));
}

/** Retry-After as seconds (RFC 9110 10.2.3: delay-seconds or an HTTP-date). */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1_000));
}
