/**
 * The one Bun-specific WebSocket adapter: Bun.serve has a single `websocket` handler object, so
 * each upgraded socket carries a `handler` in its data and the adapter forwards to it. Nothing a
 * socket sends can escape a handler: errors are caught and logged here.
 */
import type { ServerWebSocket, WebSocketHandler } from 'bun';
import type { Logger } from '../lib/log.ts';

/** What one kind of WebSocket endpoint implements. */
export interface SocketHandler<T> {
  open?(ws: ServerWebSocket<SocketData<T>>): void;
  message(ws: ServerWebSocket<SocketData<T>>, data: string | Buffer): void;
  close?(ws: ServerWebSocket<SocketData<T>>, code: number, reason: string): void;
  drain?(ws: ServerWebSocket<SocketData<T>>): void;
}

/** The data every upgraded socket carries. */
export interface SocketData<T = unknown> {
  handler: SocketHandler<T>;
  state: T;
}

/** Largest message any socket may send us (Bun closes with 1009 above it). */
export const WS_MAX_PAYLOAD_BYTES = 64 * 1024;
/** Seconds without traffic before Bun closes a socket (it pings meanwhile). */
export const WS_IDLE_TIMEOUT_S = 120;

/** The `websocket` option of Bun.serve. */
export function websocketAdapter(log: Logger): WebSocketHandler<SocketData> {
  const failed = (what: string, err: unknown) => log.error({ err: err instanceof Error ? err.stack : String(err), what }, 'websocket handler failed');
  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      failed(what, err);
    }
  };
  return {
    maxPayloadLength: WS_MAX_PAYLOAD_BYTES,
    idleTimeout: WS_IDLE_TIMEOUT_S,
    open: (ws) => guard('open', () => ws.data.handler.open?.(ws)),
    message: (ws, data) => {
      // No closure per message (guard's): a Vd socket sends 18,000 of them a second.
      try {
        ws.data.handler.message(ws, data);
      } catch (err) {
        failed('message', err);
      }
    },
    close: (ws, code, reason) => guard('close', () => ws.data.handler.close?.(ws, code, reason)),
    drain: (ws) => guard('drain', () => ws.data.handler.drain?.(ws)),
  };
}
