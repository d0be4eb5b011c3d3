/**
 * XState's pure `transition`/`initialTransition`, without their per-call cost. XState's own
 * versions build a throw-away actor and actor system on every call (`createInertActorScope`);
 * the host calls them for every event, so the inert scope is built once per machine and its
 * action executor swapped per call. Same semantics: nothing is executed, actions come back as data.
 */
import { createActor, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';

/** An action as XState returns it from a pure transition. */
export interface ReturnedAction {
  type: string;
  params?: Record<string, unknown>;
}

interface InertScope {
  self: unknown;
  system: unknown;
  actionExecutor: (a: ReturnedAction) => void;
  [k: string]: unknown;
}

const scopes = new WeakMap<AnyStateMachine, InertScope>();
const noop = () => {};

function scopeOf(machine: AnyStateMachine): InertScope {
  let scope = scopes.get(machine);
  if (!scope) {
    // Constructing an actor evaluates the initial state once; a machine that needs input reports
    // an error snapshot there, which is harmless: the actor is never started.
    const self = createActor(machine);
    scope = {
      self, system: (self as unknown as { system: unknown }).system, defer: noop, id: '', logger: noop,
      sessionId: '', stopChild: noop, emit: noop, actionExecutor: noop,
    };
    scopes.set(machine, scope);
  }
  return scope;
}

/** The next snapshot and the actions it calls for. */
export function pureTransition(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: { type: string; [k: string]: unknown }): [AnyMachineSnapshot, ReturnedAction[]] {
  const scope = scopeOf(machine);
  const actions: ReturnedAction[] = [];
  scope.actionExecutor = (a) => actions.push(a);
  try {
    return [machine.transition(snapshot, event, scope as never) as AnyMachineSnapshot, actions];
  } finally {
    scope.actionExecutor = noop;
  }
}

/** The initial snapshot for `input` and the actions it calls for. */
export function pureInitial(machine: AnyStateMachine, input: unknown): [AnyMachineSnapshot, ReturnedAction[]] {
  const scope = scopeOf(machine);
  const actions: ReturnedAction[] = [];
  scope.actionExecutor = (a) => actions.push(a);
  try {
    return [machine.getInitialSnapshot(scope as never, input) as AnyMachineSnapshot, actions];
  } finally {
    scope.actionExecutor = noop;
  }
}
