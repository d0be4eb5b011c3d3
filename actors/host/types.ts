/**
 * The types the host's modules share: the resident actor, the events, the effects handed to
 * handlers, and what dispatches and subscribers get back. A leaf: it imports no module of the host
 * that imports it, so the committer and the host no longer import each other.
 */
import type { ActorSpawn } from './tell.ts';
import type { AnyMachineSnapshot } from 'xstate';
import type { ContextChanges } from './diff.ts';
import type { MachineDef } from './registry.ts';
import type { PersistedTimer } from './store.ts';

/** An event as actors receive it: a type and JSON fields. */
export type ActorEvent = { type: string } & Record<string, unknown>;

/** What an effect handler may do with the host: the calls that send to actors and read them. */
export interface EffectHost {
  send(id: string, event: ActorEvent): void;
  sendSoon(id: string, event: ActorEvent): void;
  dispatch(id: string, event: ActorEvent): Promise<DispatchResult>;
  get(id: string): Promise<ActorView | undefined>;
  peek(id: string): ActorView | undefined;
}

/** What an effect handler is given (one of the machine's own actions, after its commit). */
export interface EffectCall {
  actorId: string;
  type: string;
  params: Record<string, unknown>;
  /** Unique per effect: `<actor>:<seq>:<index>`; use it to make the effect idempotent. */
  key: string;
  context: Record<string, unknown>;
  host: EffectHost;
}

/** A message to another actor, committed with its sender's transition. */
export interface Delivery {
  /** The sender's effect key `<sender>:<seq>:<index>`, the receiver's dedupe key. */
  key: string;
  from: string;
  to: string;
  event: ActorEvent;
  /** Make the receiver first when it does not exist (tell.ts `create`). */
  create?: ActorSpawn;
}

/** Effect implementations by action name. */
export type EffectHandlers = Record<string, (call: EffectCall) => void | Promise<void>>;

/** A state change as subscribers see it. */
export interface Transition {
  actorId: string;
  type: string;
  /** Log sequence number; for an unlogged (volatile) change, the last logged one. */
  seq: number;
  logged: boolean;
  at: number;
  event: ActorEvent;
  value: unknown;
  stateKey: string;
  status: string;
  context: Record<string, unknown>;
  changes: ContextChanges;
}

/** The result of a dispatch. */
export interface DispatchResult {
  /** False when the machine ignored the event (no transition in the current state). */
  accepted: boolean;
  logged: boolean;
  seq: number;
  value: unknown;
  stateKey: string;
  status: string;
  context: Record<string, unknown>;
}

/** A readable view of an actor. */
export interface ActorView {
  id: string;
  type: string;
  machineId: string;
  version: number;
  seq: number;
  status: string;
  value: unknown;
  stateKey: string;
  context: Record<string, unknown>;
  timers: Array<{ id: string; due: number; event: ActorEvent }>;
  deviceId: string | null;
  parentId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What the stored actor row says, once known (the committer needs the row rewritten when the actor differs). */
export interface StoredRowState {
  stateKey: string;
  status: string;
  timersGen: number;
}

/** An actor held in memory. */
export interface Resident {
  id: string;
  def: MachineDef;
  /** The machine snapshot, except the volatile values in {@link Resident.volatile}: read it through `settled`. */
  snapshot: AnyMachineSnapshot;
  /**
   * Volatile context values (a last-seen time) newer than `snapshot`'s, or null. A keepalive that
   * changes only those sets them here instead of replacing the snapshot: an actor's snapshot then
   * stays the same old object between real changes, and 18,000 devices' keepalives leave no
   * garbage in the old generation (every snapshot replaced after surviving a young collection is
   * garbage that only a full collection frees, and those stalled the event loop for 100–200 ms).
   */
  volatile: Record<string, unknown> | null;
  /** Last assigned log sequence number (may not be committed yet). */
  seq: number;
  /** The seq the database row has; null until the row exists. */
  dbSeq: number | null;
  /** The seq as of which the stored row holds the full context, and when that was written. */
  ctxSeq: number;
  ctxWrittenAt: number;
  /** A volatile change is not in the stored context yet. */
  volatileDirty?: boolean;
  /** stateKeyOf(snapshot.value), kept current. */
  stateKey: string;
  /** Bumped whenever the pending timers change (so the committer knows the row must be rewritten). */
  timersGen: number;
  /** What the stored row says (state key, status, timers generation), once known. */
  row?: StoredRowState;
  loggedContext: Record<string, unknown>;
  timers: Map<string, PersistedTimer>;
  gen: number;
  deviceId: string | null;
  parentId: string | null;
  /**
   * The membership epoch this resident was created or loaded under (docs/cluster.md); null outside a cluster. Its
   * writes are never sent under another: a node declared dead that joins again as a new epoch must not commit, under
   * the new name, what its dead incarnation decided (a write held past the lease deadline, say).
   */
  epoch: number | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * What one committed write stored of an actor's row, returned by the committer for the host to
 * apply to its resident (null fields: the row was not rewritten, or kept its stored context).
 */
export interface Written {
  /** The row was rewritten at this seq, with this state. */
  row: { seq: number; state: StoredRowState } | null;
  /** The row now holds the full context as of this seq, written at this time. */
  context: { seq: number; at: number } | null;
}
