/**
 * The machines the host runs, by actor type and version. An actor persisted under a version
 * keeps running on that version as long as it stays registered; a missing one fails loudly.
 */
import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';

/** One machine version as the host knows it. */
export interface MachineDef {
  /** Actor type: `pu`, `stream`, `recording`, `segment`… (also the id prefix by convention). */
  type: string;
  /** Incremented whenever a change could alter how a persisted snapshot or log replays. */
  version: number;
  machine: AnyStateMachine;
  /**
   * Context keys that may change without a history row of their own (a last-seen time):
   * an event that changes only these, with no state change and no effect, updates the
   * snapshot but is not logged.
   *
   * The rule for guards (and anything else that decides a transition) reading them:
   * - Live, the host folds their newest values into the snapshot before every transition
   *   (ActorHost.apply), so a guard never sees a stale one.
   * - Replay only has them as recorded at the previous logged row, so it may see an older value
   *   than the guard saw live. A guard may therefore read a volatile key only when that cannot
   *   change a logged decision: the key only grows (a time the host stamped); one of the guard's
   *   answers, once given for a value, is given for every older value too (the silent guard's
   *   true: older means more silent); and the transition the other answer selects changes nothing
   *   but volatile keys and re-arms the firing timer, so the host never logs it and replay never
   *   meets it. The pu machine's `silent` guard is such a guard
   *   (tests/actors/pu.volatile.test.ts checks it live, on replay, and that it is monotone).
   * - Any other guard must not read them: take the value from the event instead (the pu
   *   machine's `hardLockDue` reads the failure count the event carries).
   */
  volatile?: readonly string[];
  /**
   * A feature's machine (the mqtt publications, docs/mqtt.md): off unless the host's `enabled` names its type. While
   * off, a message that would create one of its actors is not sent (no outbox row); existing ones still load.
   */
  optional?: boolean;
  /**
   * A shortcut past XState for the commonest event that only moves volatile keys (a keepalive that
   * reports what the context already holds): given the actor's snapshot and the stamped event, the
   * volatile values the event sets, or null to run the machine. Wherever it answers it must agree
   * with the machine: same state, no action, and a context that differs in exactly those keys (the
   * machine's tests check it against the machine in every state). The snapshot it is given may lack
   * the newest volatile values (the host passes the one without them), so it must not read them at
   * all. 18,000 keepalives a second cost one XState transition each without it.
   */
  quiet?: (snapshot: AnyMachineSnapshot, event: { type: string; at?: number }) => Record<string, unknown> | null;
  /**
   * State keys in which an actor leaves memory as soon as its writes are committed: its next
   * event is far off (a timer days away, a rare request), and it rehydrates from its row then. A
   * confirmed segment is one: thousands a minute would otherwise stay resident for the idle
   * eviction's ten minutes, a heap the garbage collector walks through again and again.
   */
  dormant?: readonly string[];
}

/** Raised when an actor's persisted machine version is not registered. */
export class MachineVersionError extends Error {
  constructor(
    readonly actorId: string,
    readonly type: string,
    readonly version: number,
    known: number[],
  ) {
    super(`actor ${actorId}: machine ${type} version ${version} is not available (registered: ${known.join(', ') || 'none'})`);
    this.name = 'MachineVersionError';
  }
}

/** Machines by type and version. */
export class MachineRegistry {
  private byType = new Map<string, Map<number, MachineDef>>();

  constructor(defs: readonly MachineDef[] = []) {
    for (const d of defs) this.register(d);
  }

  /** Add a machine version; the same type and version twice is a programming error. */
  register(def: MachineDef): void {
    const versions = this.byType.get(def.type) ?? new Map<number, MachineDef>();
    if (versions.has(def.version)) throw new Error(`machine ${def.type} v${def.version} registered twice`);
    versions.set(def.version, def);
    this.byType.set(def.type, versions);
  }

  /** The newest version of a type (what new actors start on). */
  latest(type: string): MachineDef {
    const versions = this.byType.get(type);
    if (!versions || versions.size === 0) throw new Error(`no machine registered for actor type ${type}`);
    return versions.get(Math.max(...versions.keys()))!;
  }

  /** A given version of a type, or a {@link MachineVersionError}. */
  get(actorId: string, type: string, version: number): MachineDef {
    const d = this.byType.get(type)?.get(version);
    if (!d) throw new MachineVersionError(actorId, type, version, [...(this.byType.get(type)?.keys() ?? [])]);
    return d;
  }

  /** Every registered definition. */
  all(): MachineDef[] {
    return [...this.byType.values()].flatMap((m) => [...m.values()]);
  }
}
