/** The MDU: SRT relay of the Vm interface (see mdu.ts). */
export { Mdu, type MduOptions, type MduLogger, type PublisherGrant, type ViewerGrant } from './mdu.ts';
export type { MduEvents, MduInspect, RejectReason, StreamStats, LogLine } from './protocol.ts';
export type { ChunkHandler } from './subscribers.ts';
export * from './constants.ts';
