/**
 * How a machine sends an event to another actor: the `actor.send` action, which the host takes as
 * a message (an outbox row committed with the sender's transition, delivered after that commit, at
 * least once, applied once by the receiver; see outbox.ts and README.md), not as an effect handler.
 *
 * @example
 * ```ts
 * const pu = setup({
 *   types: {} as { context: { streams: string[] }; events: { type: 'vd.closed' } },
 *   actions: { ...actorSendAction },
 * }).createMachine({
 *   on: { 'vd.closed': { actions: tell(({ context }) => ({ to: context.streams[0]!, event: { type: 'pu.offline' } })) } },
 * });
 * ```
 */
import { z } from 'zod';

/** The action type of a message to another actor. */
export const ACTOR_SEND = 'actor.send';

/** How a message's receiver is made when it does not exist. */
export const ActorSpawn = z.object({
  type: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  deviceId: z.string().optional(),
  parentId: z.string().optional(),
});
export type ActorSpawn = z.infer<typeof ActorSpawn>;

/** The params of an `actor.send`: the receiver's actor id and the event it is given. */
export const ActorSendParams = z.object({
  to: z.string().min(1),
  event: z.looseObject({ type: z.string().min(1) }),
  /**
   * How to make the receiver when it does not exist yet: its machine type, input, and the ids it is
   * filed under. The host creates it at delivery, then delivers the event (a pu opening a stream).
   */
  create: ActorSpawn.optional(),
});
export type ActorSendParams = z.infer<typeof ActorSendParams>;

/** The `actor.send` action as a machine enqueues it (an `enqueueActions` typed with it needs no cast). */
export interface ActorSend {
  type: typeof ACTOR_SEND;
  params: ActorSendParams;
}

/** The declaration a machine's `setup({ actions })` spreads in to use {@link tell} (the host, not XState, carries it out). */
export const actorSendAction = {
  [ACTOR_SEND]: (_: unknown, _params: ActorSendParams): void => {},
};

/** An `actor.send` action whose params are computed from the context and event at the transition. */
export function tell<TContext, TEvent>(
  make: (args: { context: TContext; event: TEvent }) => ActorSendParams,
): { type: typeof ACTOR_SEND; params: (args: { context: TContext; event: TEvent }) => ActorSendParams } {
  return { type: ACTOR_SEND, params: make };
}
