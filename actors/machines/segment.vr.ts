/**
 * What Vr does with a segment operation (H.627.2 I.3.2 `save`, I.3.3 `fail`, the upload PUT of 9.3.4.1), decided by
 * the segment's state: the rules are the `meta.vr` of each state node of the segment machine (its statechart), read
 * here from the machine definition. Pure: no I/O; the service maps a refusal to its HTTP answer.
 */
import { segmentMachine } from './segment.machine.ts';
import type { RemovalWhy, SegmentContext, SegmentStateMeta, VrRefusalStatus, VrSegmentOp } from './segment.types.ts';

/** A segment as Vr sees it: its state and context (an actor view, or a dispatch's result). */
export interface SegmentVrView {
  stateKey: string;
  context: unknown;
}

/** What Vr does: carry the operation out, answer it is done already, or refuse it. */
export type VrAnswer = { kind: 'accept' } | { kind: 'already' } | { kind: 'refuse'; status: VrRefusalStatus; message: string };
/** An upload is never "done already": a second one is refused (its URL is single-use). */
export type VrAnswerOf<Op extends VrSegmentOp> = Op extends 'put' ? Exclude<VrAnswer, { kind: 'already' }> : VrAnswer;

/**
 * The state a removal for `why` ends in, read from the statechart: the target of the first `segment.removed`
 * transition of `removing` whose guard (`removedFor`) lets it through.
 */
export function removalEndsIn(why: RemovalWhy): string | undefined {
  const on = segmentMachine.states.removing?.on as Record<string, RemovedTransition[] | undefined> | undefined;
  const removed = on?.['segment.removed'] ?? [];
  const t = removed.find((r) => r.guard === undefined || (r.guard as { params?: unknown }).params === why);
  return t?.target?.[0]?.key;
}
type RemovedTransition = { guard?: unknown; target?: readonly { key: string }[] };

/** Status for a state the machine does not have (a row of another machine version): not now. */
const UNKNOWN_STATE_STATUS: VrRefusalStatus = 409;

/** The Vr rules of a state of the segment machine, from its statechart; undefined for a state it does not have. */
export function vrRules(stateKey: string): SegmentStateMeta['vr'] | undefined {
  const node = (segmentMachine.states as Record<string, { meta?: unknown } | undefined>)[stateKey];
  return (node?.meta as SegmentStateMeta | undefined)?.vr;
}

/** What Vr does with `op` on the segment `v`. */
export function vrAnswer<Op extends VrSegmentOp>(v: SegmentVrView, op: Op): VrAnswerOf<Op> {
  const ctx = v.context as SegmentContext;
  const rule = vrRules(v.stateKey)?.[op];
  if (rule === undefined) return { kind: 'refuse', status: UNKNOWN_STATE_STATUS, message: `segment ${ctx.name} is ${v.stateKey}` } as VrAnswerOf<Op>;
  if (rule === 'accept' || rule === 'already') return { kind: rule } as VrAnswerOf<Op>;
  const removal = (ctx.removal && removalEndsIn(ctx.removal.why)) ?? 'removed';
  const message = rule.say.replaceAll('{name}', ctx.name).replaceAll('{state}', v.stateKey).replaceAll('{removal}', removal);
  return { kind: 'refuse', status: rule.status, message } as VrAnswerOf<Op>;
}
