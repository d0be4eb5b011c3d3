/** Messages between the detection runtime (main thread) and a detector worker (`detector.worker.ts`). */
import type { Detection } from './model.ts';

/** A frame to detect in: a JPEG (any size), or raw RGB at the model's input size with the picture's size. */
export type FrameInput = { kind: 'jpeg'; bytes: Uint8Array } | { kind: 'rgb'; bytes: Uint8Array; width: number; height: number };

/** Main → worker. */
export type WorkerCommand = { type: 'load'; modelPath?: string } | { type: 'detect'; id: number; frame: FrameInput; minScore: number } | { type: 'stop' };

/** What one frame gave: boxes in the original picture's pixels, and where the time went. */
export interface FrameResult {
  detections: Detection[];
  /** The picture's size (the JPEG's, or the size given with raw RGB). */
  width: number;
  height: number;
  decodeMs: number;
  inferMs: number;
}

/** Worker → main. */
export type WorkerReply =
  | { type: 'loaded'; loadMs: number }
  | { type: 'load-failed'; reason: string }
  | ({ type: 'done'; id: number } & FrameResult)
  | { type: 'failed'; id: number; reason: string };
