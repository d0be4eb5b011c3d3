/**
 * The segment actor: one per recorded segment (H.627.2 9.3.4.1; NOTES 15). Its machine is the
 * segment's life on the platform: created (Vr create handed out a single-use upload URL) →
 * uploaded (its bytes are in the CS) → confirmed (Vr save, or the next create's `name`), and
 * removing → failed (Vr fail, 9.3.4.1.2) / expired (not uploaded or not confirmed in time) /
 * deleted (retention, or a quota exceeded). Removal is an effect retried by a durable timer until it reports back, so
 * a crash at any point never leaves a file behind once removal has begun.
 */
import { assign, setup } from 'xstate';
import { effect } from '../host/effect-catalog.ts';
import type { MachineDef } from '../host/registry.ts';
import { segmentEffects } from './segment.effects.ts';
import type { RemovalWhy, SegmentContext, SegmentEvent, SegmentInput, SegmentStateMeta, VrRefusal } from './segment.types.ts';

export type { RemovalWhy, SegmentContext, SegmentEvent, SegmentInput } from './segment.types.ts';

/** Retry period of a removal that has not reported back (storage down, or the process died). */
export const REMOVE_RETRY_MS = 30_000;

const at = (e: { at?: number }) => e.at ?? 0;
/** The event's time; the initial event has none, and then the state's own start stands. */
const stamp = (context: SegmentContext, e: { at?: number }) => e.at ?? context.since;

/** Actor id of a segment: its session and the stem of its name. */
export function segmentActorId(sessionId: string, stem: string): string {
  return `seg:${sessionId}:${stem}`;
}

/** Vr's refusals (`meta.vr` of each state, read by segment.vr.ts): too early or too late (409), gone or going (410). */
const NOT_UPLOADED: VrRefusal = { status: 409, say: 'segment {name} is not uploaded: PUT it to its URL first (or cancel it with op=fail)' };
const SINGLE_USE: VrRefusal = { status: 409, say: 'segment {name} is uploaded already: an upload URL is single-use' };
const CONFIRMED: VrRefusal = { status: 409, say: 'segment {name} is confirmed already; it cannot be cancelled' };
const BEING_REMOVED: VrRefusal = { status: 410, say: 'segment {name} is {removal}' };
const GONE: VrRefusal = { status: 410, say: 'segment {name} is {state}' };
const vr = (rules: SegmentStateMeta['vr']): SegmentStateMeta => ({ vr: rules });

/** A step into removal for `why`, explained by `reason`. */
const remove = (why: RemovalWhy, reason: string) => ({ target: 'removing' as const, actions: { type: 'beginRemoval' as const, params: { why, reason } } });

export const segmentMachine = setup({
  types: {} as { context: SegmentContext; events: SegmentEvent; input: SegmentInput },
  delays: {
    UPLOAD_TTL: ({ context }) => context.uploadTtlMs,
    CONFIRM_TTL: ({ context }) => context.confirmTtlMs,
    /** Counted from the confirmation, whenever the timer is (re-)armed. */
    RETENTION: ({ context, event }) => Math.max(0, (context.confirmedAt ?? at(event)) + context.retentionMs - at(event)),
    REMOVE_RETRY: REMOVE_RETRY_MS,
  },
  guards: {
    nothingToUpload: ({ context }) => context.size === 0,
    declaredSize: ({ context, event }) => event.type === 'segment.uploaded' && event.size === context.size,
    /** A direct upload the platform found in the store with its declared size (HEAD) as it confirms it. */
    foundInStore: ({ context, event }) => event.type === 'segment.confirm' && event.storedSize === context.size,
    removedFor: ({ context }, why: RemovalWhy) => context.removal?.why === why,
  },
  actions: {
    enter: assign(({ context, event }, p: { reason: string }) => ({ since: stamp(context, event), reason: p.reason })),
    uploaded: assign(({ event }) => ({ uploadedAt: at(event) })),
    confirmed: assign(({ event }) => ({ confirmedAt: at(event) })),
    pinVersion: assign(({ event }) => (event.type === 'segment.confirm' && event.storedVersion ? { version: event.storedVersion } : {})),
    setRetention: assign(({ event }) => (event.type === 'retention.set' ? { retentionMs: event.retentionMs } : {})),
    beginRemoval: assign(({ event }, p: { why: RemovalWhy; reason: string }) => ({
      since: at(event),
      reason: p.reason,
      removal: { why: p.why, at: at(event), attempts: 0 },
    })),
    beginQuotaRemoval: assign(({ event }) => ({
      since: at(event),
      reason: event.type === 'quota.exceeded' ? `over the ${event.scope}'s quota of ${event.quotaBytes} bytes: oldest kept first` : 'over quota',
      removal: { why: 'quota' as const, at: at(event), attempts: 0 },
    })),
    countAttempt: assign(({ context }) => (context.removal ? { removal: { ...context.removal, attempts: context.removal.attempts + 1 } } : {})),
    /** Effect: params typed by its catalog (segment.effects.ts), run by the host after the commit. */
    'segment.remove': effect(segmentEffects, 'segment.remove'),
  },
}).createMachine({
  id: 'segment',
  context: ({ input }) => ({ ...input, since: input.createdAt, reason: 'created (Vr create)' }),
  initial: 'created',
  states: {
    created: {
      meta: vr({ save: NOT_UPLOADED, fail: 'accept', put: 'accept' }),
      always: { guard: 'nothingToUpload', target: 'uploaded', actions: { type: 'enter', params: { reason: 'declared 0 bytes: nothing to upload' } } },
      after: { UPLOAD_TTL: remove('expired', 'not uploaded in time') },
      on: {
        'segment.uploaded': { guard: 'declaredSize', target: 'uploaded', actions: ['uploaded', { type: 'enter', params: { reason: 'uploaded' } }] },
        // uploaded straight to the store (S3) and found there whole as it is confirmed: one step, one commit
        'segment.confirm': {
          guard: 'foundInStore',
          target: 'confirmed',
          actions: ['uploaded', 'confirmed', 'pinVersion', { type: 'enter', params: { reason: 'confirmed (Vr save; found whole in the store)' } }],
        },
        'segment.fail': remove('failed', 'the PU gave up uploading it (Vr fail)'),
      },
    },
    uploaded: {
      meta: vr({ save: 'accept', fail: 'accept', put: SINGLE_USE }),
      after: { CONFIRM_TTL: remove('expired', 'not confirmed in time') },
      on: {
        'segment.confirm': {
          target: 'confirmed',
          actions: ['confirmed', { type: 'enter', params: { reason: 'confirmed (Vr save)' } }],
        },
        'segment.fail': remove('failed', 'the PU cancelled it (Vr fail)'),
      },
    },
    confirmed: {
      meta: vr({ save: 'already', fail: CONFIRMED, put: SINGLE_USE }),
      after: { RETENTION: remove('retention', 'retention period over') },
      on: {
        'retention.set': { target: 'confirmed', reenter: true, actions: 'setRetention' },
        // Only a kept segment counts against a quota: one on its way in (created, uploaded) is never taken for it.
        'quota.exceeded': { target: 'removing', actions: { type: 'beginQuotaRemoval' } },
      },
    },
    removing: {
      meta: vr({ save: BEING_REMOVED, fail: 'already', put: BEING_REMOVED }),
      entry: [
        'countAttempt',
        {
          type: 'segment.remove',
          params: ({ context }) => ({
            key: context.key,
            ...(context.version ? { version: context.version } : {}),
            why: context.removal?.why ?? 'expired',
          }),
        },
      ],
      after: { REMOVE_RETRY: { target: 'removing', reenter: true } },
      on: {
        'segment.removed': [
          {
            guard: { type: 'removedFor', params: 'failed' },
            target: 'failed',
            actions: { type: 'enter', params: { reason: 'cancelled: bytes and rows removed' } },
          },
          {
            guard: { type: 'removedFor', params: 'expired' },
            target: 'expired',
            actions: { type: 'enter', params: { reason: 'expired: bytes and rows removed' } },
          },
          {
            guard: { type: 'removedFor', params: 'quota' },
            target: 'deleted',
            actions: { type: 'enter', params: { reason: 'over quota: bytes and rows removed' } },
          },
          { target: 'deleted', actions: { type: 'enter', params: { reason: 'retention over: bytes and rows removed' } } },
        ],
      },
    },
    failed: { type: 'final', meta: vr({ save: GONE, fail: 'already', put: GONE }) },
    expired: { type: 'final', meta: vr({ save: GONE, fail: GONE, put: GONE }) },
    deleted: { type: 'final', meta: vr({ save: GONE, fail: GONE, put: GONE }) },
  },
});

/**
 * The segment machine as the host registers it. A confirmed segment waits days for its retention
 * timer: it leaves memory once its confirmation is committed.
 */
export const segmentV1: MachineDef = { type: 'segment', version: 1, machine: segmentMachine, dormant: ['confirmed'] };
