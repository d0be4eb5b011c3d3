/**
 * How one actor tells another (issue #20 point 2): the host's `actor.send` effect. The host writes
 * it with the sender's transition, in the same commit, and delivers it after that commit, at least
 * once, deduplicated at the receiver by the effect key; `create` makes the receiver first when it
 * does not exist yet (a pu opening a channel's stream). Machines declare it in `setup` like any
 * other effect and enqueue it with the typed {@link ActorSend} action, never with a cast.
 */

/** An event as the receiving actor gets it. */
export type ToldEvent = { type: string } & Record<string, unknown>;

/** What `actor.send` carries. */
export interface ActorSendParams {
  /** The receiver's actor id. */
  to: string;
  event: ToldEvent;
  /** Make the receiver first if it does not exist: its machine type, input, and the ids the host files it under. */
  create?: { type: string; input: Record<string, unknown>; deviceId?: string; parentId?: string };
}

/** The `actor.send` action as machines enqueue it. */
export interface ActorSend {
  type: 'actor.send';
  params: ActorSendParams;
}
