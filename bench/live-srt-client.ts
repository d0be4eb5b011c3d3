/**
 * The load generator's side of its SRT worker (bench/live-srt.worker.ts): commands out, reports in,
 * and the publishers' state the reports tell. Used by bench/live-load.ts.
 */
import type { SrtCommand, SrtMeasure, SrtReport } from './live-messages.ts';
import type { SrtTarget } from './live-ts.ts';

/** How long a batch of SRT connects or WSS upgrades may take before the stragglers count as failed. */
export const CONNECT_TIMEOUT_MS = 30_000;

const worker = new Worker(new URL('./live-srt.worker.ts', import.meta.url).href);
const waiters = new Map<string, (r: SrtReport) => void>();
/** Negotiated latency of each connected publisher, ms. */
export const pubLatency = new Map<number, number>();
/** Publishers connected now. */
export const pubConnected = new Set<number>();
const keyOf = (kind: string, id: number) => `${kind}:${id}`;
let ackWaiter: (() => void) | null = null;
let measureWaiter: ((m: SrtMeasure) => void) | null = null;
worker.onmessage = (e: MessageEvent<SrtReport>) => {
  const r = e.data;
  if (r.type === 'ack') ackWaiter?.();
  else if (r.type === 'measured') measureWaiter?.(r.m);
  else if (r.type === 'connected') {
    if (r.kind === 'pub' && r.ok) {
      pubLatency.set(r.id, r.latencyMs);
      pubConnected.add(r.id);
    }
    waiters.get(keyOf(r.kind, r.id))?.(r);
    waiters.delete(keyOf(r.kind, r.id));
  } else if (r.type === 'broken' && r.kind === 'pub') pubConnected.delete(r.id);
};
/** Send the worker a command. */
export const toWorker = (c: SrtCommand) => worker.postMessage(c);
/** Send the worker a command and wait for its ack. */
export const workerAck = (c: SrtCommand) =>
  new Promise<void>((resolve) => {
    ackWaiter = resolve;
    toWorker(c);
  });
/** Ask the worker to connect and wait for the outcome. */
export function srtConnect(kind: 'pub' | 'view', id: number, stream: number, target: SrtTarget): Promise<Extract<SrtReport, { type: 'connected' }>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiters.delete(keyOf(kind, id));
      resolve({ type: 'connected', kind, id, ok: false, latencyMs: 0, error: 'timed out' });
    }, CONNECT_TIMEOUT_MS);
    waiters.set(keyOf(kind, id), (r) => {
      clearTimeout(timer);
      resolve(r as Extract<SrtReport, { type: 'connected' }>);
    });
    toWorker(kind === 'pub' ? { type: 'publish', id, target } : { type: 'view', id, stream, target });
  });
}

/** The worker's totals over the measured window. */
export function workerMeasure(): Promise<SrtMeasure> {
  return new Promise<SrtMeasure>((resolve) => {
    measureWaiter = resolve;
    toWorker({ type: 'measure' });
  });
}
