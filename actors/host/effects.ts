/**
 * Effects: the actions a machine returns that are not XState's own. They are taken from the
 * transition, queued with the write that logs it, and run only after that write is committed, each
 * with an idempotency key `<actor>:<seq>:<index>`. Delayed raises and cancels become timers; an
 * `actor.send` (tell.ts) becomes an outbox row in the same write and is delivered after it (outbox.ts).
 */
import type { HostCore } from './core.ts';
import type { PendingWrite } from './pending-write.ts';
import { applyWritten } from './resident.ts';
import type { OutboxRowWrite } from './store.ts';
import { ACTOR_SEND, ActorSendParams } from './tell.ts';
import { armTimer, cancelTimer } from './timers.ts';
import type { ReturnedAction } from './transition.ts';
import type { ActorEvent, EffectCall, Resident, Transition, Written } from './types.ts';
import type { Logger } from '../../lib/log.ts';

/** An effect as taken from a transition, before its write gives it a key; `send` for a message to another actor. */
export interface TakenEffect {
  type: string;
  params: Record<string, unknown>;
  send?: ActorSendParams;
}

/** Map XState's returned actions: delayed raises become timers, cancels remove them, the rest are effects. */
export function takeActions(core: HostCore, r: Resident, actions: ReturnedAction[], now: number): TakenEffect[] {
  const effects: TakenEffect[] = [];
  for (const a of actions) {
    const p = a.params ?? {};
    if (a.type === 'xstate.raise') {
      if (typeof p.delay !== 'number') continue; // immediate raises were applied inside the macrostep
      const ev = p.event as ActorEvent;
      armTimer(core, r, typeof p.id === 'string' ? p.id : ev.type, ev, now + p.delay);
    } else if (a.type === 'xstate.cancel') {
      cancelTimer(r, String(p.sendId));
    } else if (a.type === ACTOR_SEND) {
      // A message to another actor: carried by the host (outbox.ts), so checked here, before its commit.
      const m = ActorSendParams.safeParse(p);
      if (m.success && isOff(core, m.data.create?.type)) continue; // a feature turned off (MachineDef.optional)
      if (m.success) effects.push({ type: ACTOR_SEND, params: m.data, send: m.data });
      else core.log.error({ actor: r.id, err: m.error.message }, 'actor.send with invalid params; not sent');
    } else if (a.type.startsWith('xstate.')) {
      if (a.type !== 'xstate.log') core.log.warn({ actor: r.id, action: a.type }, 'built-in action not supported by the durable host; ignored');
    } else {
      effects.push({ type: a.type, params: p });
    }
  }
  return effects;
}

/** Whether a message would create an actor of an optional machine that is turned off. */
function isOff(core: HostCore, type: string | undefined): boolean {
  if (type === undefined || core.enabled.has(type)) return false;
  return core.registry.all().some((d) => d.type === type && d.optional === true);
}

/** Queue a transition's effects with the write that logs it at `seq`: they run after its commit. */
export function queueEffects(core: HostCore, w: PendingWrite, r: Resident, effects: TakenEffect[], seq: number): void {
  effects.forEach((e, i) => {
    const key = `${r.id}:${seq}:${i}`;
    const m = e.send;
    if (!m) {
      w.effects.push({ actorId: r.id, type: e.type, params: e.params, key, context: r.snapshot.context, host: core.api });
      return;
    }
    // Stored in the statement that stores the sender's event: the message exists iff the transition does.
    const row: OutboxRowWrite = {
      key,
      sender_id: r.id,
      sender_seq: seq,
      position: i,
      receiver_id: m.to,
      event: m.event,
      spawn: m.create ?? null,
      at: w.last?.at ?? core.clock.now(),
    };
    (w.outbox ??= []).push(JSON.stringify(row));
    (w.deliveries ??= []).push({ key, from: r.id, to: m.to, event: m.event, ...(m.create ? { create: m.create } : {}) });
  });
}

/**
 * A write is durable: the resident learns what was stored, subscribers hear of its transitions, an
 * actor that finished or went dormant leaves memory, and its effects run.
 */
export function afterCommit(core: HostCore, w: PendingWrite, written: Written): void {
  applyWritten(w.r, written);
  for (const t of w.transitions) for (const l of core.listeners) safeCall(l, t, core.log);
  // A finished actor never changes again, and a dormant one not for long: keep them only in the
  // store (a dormant one's timers stay armed, and rehydrate it when due).
  const leaves = w.r.snapshot.status === 'done' || (w.r.def.dormant?.includes(w.r.stateKey) ?? false);
  if (leaves && core.residents.get(w.r.id) === w.r && !core.committer.isPending(w.r)) core.residents.delete(w.r.id);
  for (const e of w.effects) runEffect(core, e);
  if (w.deliveries) for (const d of w.deliveries) core.deliver(d);
}

/** Run one effect's handler; a failure is logged (the machine's own retry timers cover what must be retried). */
function runEffect(core: HostCore, e: EffectCall): void {
  const handler = core.effects?.[e.type];
  if (!handler) {
    core.log.error({ actor: e.actorId, effect: e.type }, 'no handler for effect');
    return;
  }
  try {
    const p = handler(e);
    if (p && typeof (p as Promise<void>).catch === 'function') {
      (p as Promise<void>).catch((err) => core.log.error({ actor: e.actorId, effect: e.type, err: String(err) }, 'effect failed'));
    }
  } catch (err) {
    core.log.error({ actor: e.actorId, effect: e.type, err: String(err) }, 'effect failed');
  }
}

/** Call a transition listener; one that throws is logged and the others still hear. */
export function safeCall(l: (t: Transition) => void, t: Transition, log: Logger): void {
  try {
    l(t);
  } catch (err) {
    log.error({ err: String(err) }, 'transition listener failed');
  }
}
