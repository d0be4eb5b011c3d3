/**
 * The SRT worker's record of one socket (bench/live-srt.worker.ts): a publisher replaying the sample
 * or a viewer reading it back, with its pacing, its counters and its window's delay samples.
 */
import { LossWindow } from './live-ts.ts';

/** One publisher socket and where it is in the sample. */
export interface Pub {
  kind: 'pub';
  id: number;
  sock: number;
  live: boolean;
  next: number;
  cursor: number;
  messages: number;
  tsIndex: number;
  probeSeq: number;
  cc: number;
  latencyMs: number;
  winMessages: number;
}

/** One viewer socket and what it got in the window. */
export interface View {
  kind: 'view';
  id: number;
  stream: number;
  sock: number;
  live: boolean;
  joinedAt: number;
  latencyMs: number;
  rx: number;
  winBytes: number;
  loss: LossWindow;
  /** Sum and count of this viewer's delay samples in the window (its mean shows a per-connection offset). */
  delaySum: number;
  delayN: number;
}

/** A publisher not yet connected. */
export function newPub(id: number): Pub {
  return {
    kind: 'pub',
    id,
    sock: -1,
    live: false,
    next: 0,
    cursor: 0,
    messages: 0,
    tsIndex: 0,
    probeSeq: 0,
    cc: 0,
    latencyMs: 0,
    winMessages: 0,
  };
}

/** A viewer of stream `stream`, not yet connected. */
export function newView(id: number, stream: number): View {
  return {
    kind: 'view',
    id,
    stream,
    sock: -1,
    live: false,
    joinedAt: 0,
    latencyMs: 0,
    rx: 0,
    winBytes: 0,
    loss: new LossWindow(),
    delaySum: 0,
    delayN: 0,
  };
}
