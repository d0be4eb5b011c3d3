/**
 * The H.627.2 wire message catalog: one zod schema per message of Vs, Vd and Vr, the numbers the
 * spec fixes, and the frame layer. How the project reads the spec: docs/protocol.md.
 * @module
 */
export * from './constants.ts';
export * from './errors.ts';
export * from './text.ts';
export * from './identity.ts';
export * from './vs.ts';
export * from './vd-common.ts';
export * from './vd-login.ts';
export * from './vd-device.ts';
export * from './vd-media.ts';
export * from './vd-ptz.ts';
export * from './vd-config.ts';
export * from './vd-maint.ts';
export * from './vd.ts';
export * from './vd-frame.ts';
export * from './hibernation.ts';
export * from './vr.ts';
export * from './paths.ts';
export * from './api.ts';
