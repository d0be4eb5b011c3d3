/**
 * The one module that reaches into XState's internals: nothing else in the tree touches a
 * snapshot's private fields, a machine's state nodes or an actor scope.
 *
 * XState's pure `transition`/`initialTransition` build a throw-away actor and actor system on every
 * call (`createInertActorScope`); the host calls them for every event, so here the inert scope is
 * built once per machine and its action executor swapped per call. Same semantics: nothing is
 * executed, actions come back as data.
 *
 * The commonest transition of a device actor (a message, a battery level, a counter) is targetless, unguarded
 * and only assigns (a keepalive the quiet shortcut does not answer is not: the pu reads its channels
 * against its streams and sessions, pu.links.ts); for those, XState's macrostep (transition selection, exit and entry sets,
 * microstep bookkeeping, inspection events) costs several times the assigns themselves. Such a
 * transition is recognised once per (active leaf state, event type) from the machine's own
 * definition, and then taken by running its assigns through XState's own `resolve`: the same
 * snapshot XState would build. The next commonest, a state change between two sibling atomic
 * states with no entry, exit, invocation or delayed transition (a toggle), is recognised the same
 * way; XState takes it the first time, and its resulting state nodes, value and tags are reused
 * for every later one (measured only on `bench actors`, whose counter machine toggles: the product
 * machines take it rarely; it stays while that bench is one of the two that guard against
 * regressions, and goes if it ever costs more than it saves). Anything else (guards, other targets, other actions, parallel states,
 * eventless transitions, wildcards) goes through XState. tests/actors/transition.test.ts checks
 * both paths give the same snapshots, transition.fallback.test.ts that the public API gives them too.
 *
 * All of this was written against one XState version, {@link XSTATE_PINNED_VERSION} (package.json
 * pins it; patches/xstate@5.33.3.patch, applied by `bun install`, is keyed to it). When the module
 * loads it reads the installed version from xstate's package.json; on any other version it uses
 * XState's own public `transition`/`initialTransition` instead, and logs why once.
 */
import { createRequire } from 'node:module';
import { createActor, createMachine, initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { type Logger, moduleLog } from '../../lib/log.ts';

/** The XState version this module's internals were written and tested against (package.json pins it exactly). */
export const XSTATE_PINNED_VERSION = '5.33.3';
/** The XState version installed, from its own package.json. */
export const XSTATE_INSTALLED_VERSION: string = (createRequire(import.meta.url)('xstate/package.json') as { version: string }).version;

/** An action as XState returns it from a pure transition. */
export interface ReturnedAction {
  type: string;
  params?: Record<string, unknown>;
}

type Event = { type: string; [k: string]: unknown };

/** How the host computes transitions: through XState's internals, or through its public API only. */
export interface TransitionEngine {
  /** `internals`: the cached scope and the fast paths below; `public`: XState's own `transition`/`initialTransition`. */
  mode: 'internals' | 'public';
  /** The next snapshot and the actions it calls for. */
  transition(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: Event): [AnyMachineSnapshot, ReturnedAction[]];
  /** The initial snapshot for `input` and the actions it calls for. */
  initial(machine: AnyStateMachine, input: unknown): [AnyMachineSnapshot, ReturnedAction[]];
  /** A copy of a snapshot whose context has the given values in place of its own. */
  withContext(snapshot: AnyMachineSnapshot, values: Record<string, unknown>): AnyMachineSnapshot;
}

/** XState's internals, with the fast paths (only on {@link XSTATE_PINNED_VERSION}). */
const internalsEngine: TransitionEngine = {
  mode: 'internals',
  transition: fastTransition,
  initial: internalsInitial,
  // XState 5.33 snapshots are plain objects with their methods as own properties.
  withContext: (s, values) => ({ ...s, context: { ...s.context, ...values } }) as AnyMachineSnapshot,
};

/** XState's public API only: what runs on any other version. */
const publicEngine: TransitionEngine = {
  mode: 'public',
  transition: (machine, snapshot, event) => transition(machine, snapshot, event) as [AnyMachineSnapshot, ReturnedAction[]],
  initial: (machine, input) => initialTransition(machine, input) as [AnyMachineSnapshot, ReturnedAction[]],
  // The host's machines have no invoked or spawned children (actors message each other through the host).
  withContext: (s, values) =>
    s.machine.resolveState({
      value: s.value,
      context: { ...s.context, ...values },
      status: s.status,
      historyValue: (s as unknown as { historyValue?: never }).historyValue,
      output: s.output,
      error: s.error,
    } as never) as AnyMachineSnapshot,
};

/** The engine for an installed XState version (tests ask for the public one with any other version). */
export function engineFor(installed: string): TransitionEngine {
  return installed === XSTATE_PINNED_VERSION ? internalsEngine : publicEngine;
}

/** The engine for the installed version; a fallback to the public API is logged once, with why. */
export function selectEngine(installed: string, log: Pick<Logger, 'warn'> = moduleLog('xstate')): TransitionEngine {
  const engine = engineFor(installed);
  if (engine.mode === 'internals' && !xstatePatchApplied()) {
    log.warn(
      { installed, patch: `patches/xstate@${XSTATE_PINNED_VERSION}.patch` },
      'the xstate patch is not applied (bun install applies it): same results, slower transitions',
    );
  }
  if (engine.mode === 'public') {
    log.warn(
      { installed, pinned: XSTATE_PINNED_VERSION, engine: engine.mode },
      "xstate is not the pinned version: its internals and the patch may differ, so the host uses XState's own transition and initialTransition (slower, same results)",
    );
  }
  return engine;
}

/**
 * Whether patches/xstate@5.33.3.patch is in the XState that is loaded: with it, two snapshots of
 * the same state nodes share one tag set (computed once per node array); without it each has its own.
 */
export function xstatePatchApplied(): boolean {
  const probe = createMachine({ id: 'patch-probe' });
  const [first, second] = [0, 1].map(() => probe.resolveState({ value: {} } as never));
  return first!.tags === second!.tags;
}

/** The engine the host runs on, chosen once when this module loads. */
export const engine: TransitionEngine = selectEngine(XSTATE_INSTALLED_VERSION);
/** The next snapshot and the actions it calls for (the host's and the replay's transition). */
export const pureTransition = engine.transition;
/** The initial snapshot for `input` and the actions it calls for. */
export const pureInitial = engine.initial;
/** A copy of a snapshot whose context has the given values (the volatile overlay folded in). */
export const withContext = engine.withContext;

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
      self,
      system: (self as unknown as { system: unknown }).system,
      defer: noop,
      id: '',
      logger: noop,
      sessionId: '',
      stopChild: noop,
      emit: noop,
      actionExecutor: noop,
    };
    scopes.set(machine, scope);
  }
  return scope;
}

/** Transitions taken by each path since start (tests check which path an event took). */
export const transitionCounts = { assignOnly: 0, sibling: 0, xstate: 0 };

function fastTransition(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: Event): [AnyMachineSnapshot, ReturnedAction[]] {
  const scope = scopeOf(machine);
  const found = snapshot.status === 'active' ? planOf(machine, snapshot, event.type) : undefined;
  const plan = found?.xstateOnly ? undefined : found;
  if (plan && !plan.target) {
    transitionCounts.assignOnly++;
    return [takeAssigns(plan.assigns, snapshot, event, scope), []];
  }
  if (plan?.template) {
    transitionCounts.sibling++;
    const t = plan.template;
    const moved = { ...snapshot, _nodes: t._nodes, value: t.value, tags: t.tags } as unknown as AnyMachineSnapshot;
    return [plan.assigns.length > 0 ? takeAssigns(plan.assigns, moved, event, scope) : moved, []];
  }
  transitionCounts.xstate++;
  const result = xstateTransition(machine, snapshot, event, scope);
  if (plan) learnTemplate(plan, snapshot, result);
  return result;
}

/** XState's own macrostep through the cached scope, whatever the event (exported for the tests that compare both paths). */
export function slowTransition(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: Event): [AnyMachineSnapshot, ReturnedAction[]] {
  return xstateTransition(machine, snapshot, event, scopeOf(machine));
}

function xstateTransition(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: Event, scope: InertScope): [AnyMachineSnapshot, ReturnedAction[]] {
  const actions: ReturnedAction[] = [];
  scope.actionExecutor = (a) => actions.push(a);
  try {
    return [machine.transition(snapshot, event, scope as never) as AnyMachineSnapshot, actions];
  } finally {
    scope.actionExecutor = noop;
  }
}

function internalsInitial(machine: AnyStateMachine, input: unknown): [AnyMachineSnapshot, ReturnedAction[]] {
  const scope = scopeOf(machine);
  const actions: ReturnedAction[] = [];
  scope.actionExecutor = (a) => actions.push(a);
  try {
    return [machine.getInitialSnapshot(scope as never, input) as AnyMachineSnapshot, actions];
  } finally {
    scope.actionExecutor = noop;
  }
}

// ---- The assign-only fast path ----

/** XState's internal view of a state node, as far as the plan needs it. */
interface NodeView {
  type: string;
  parent?: NodeView;
  transitions: Map<string, TransitionView[]>;
  always?: unknown[];
  entry: unknown[];
  exit: unknown[];
  invoke: unknown[];
  config: { after?: unknown };
}
interface TransitionView {
  target?: unknown[];
  guard?: unknown;
  actions: unknown[];
}
/** A built-in action as XState resolves it (assign is `xstate.assign`). */
interface BuiltinAction {
  type: string;
  resolve: (
    scope: unknown,
    snapshot: AnyMachineSnapshot,
    args: unknown,
    params: unknown,
    action: unknown,
    extra: unknown,
  ) => [AnyMachineSnapshot, ...unknown[]];
}
/** One assign of a plan, with how XState would compute its params. */
interface PlannedAssign {
  assign: BuiltinAction;
  params?: unknown;
}
/**
 * An unguarded transition of assigns only: targetless (no `target`; no assigns when the event is
 * not handled at all), or to a sibling atomic state (`target`), whose state nodes, value and tags
 * (`template`) are learnt from XState's own result the first time it is taken.
 */
interface Plan {
  assigns: PlannedAssign[];
  target?: NodeView;
  template?: { _nodes: NodeView[]; value: unknown; tags: unknown };
  /** The first move gave something else than the swap: XState takes this one from now on. */
  xstateOnly?: boolean;
}

/** Per leaf state node, per event type: its plan, or null when XState must take it. */
const plans = new WeakMap<object, Map<string, Plan | null>>();
const eventlessMachines = new WeakMap<AnyStateMachine, boolean>();

function hasEventless(machine: AnyStateMachine): boolean {
  let has = eventlessMachines.get(machine);
  if (has === undefined) {
    has = [...(machine as unknown as { idMap: Map<string, NodeView> }).idMap.values()].some((n) => (n.always?.length ?? 0) > 0);
    eventlessMachines.set(machine, has);
  }
  return has;
}

function planOf(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, eventType: string): Plan | undefined {
  if (eventType.startsWith('xstate.') || hasEventless(machine) || Object.keys(snapshot.children).length > 0) return undefined;
  let leaf: NodeView | undefined;
  for (const n of (snapshot as unknown as { _nodes: NodeView[] })._nodes) {
    if (n.type !== 'atomic' && n.type !== 'final') continue;
    if (leaf) return undefined; // parallel regions: more than one leaf
    leaf = n;
  }
  if (!leaf) return undefined;
  let byEvent = plans.get(leaf);
  if (!byEvent) plans.set(leaf, (byEvent = new Map()));
  let plan = byEvent.get(eventType);
  if (plan === undefined) {
    plan = makePlan(machine, leaf, eventType);
    byEvent.set(eventType, plan);
  }
  return plan ?? undefined;
}

/** XState selects, from the leaf up, the first node with a candidate whose guard passes. */
function makePlan(machine: AnyStateMachine, leaf: NodeView, eventType: string): Plan | null {
  const actions = (machine as unknown as { implementations: { actions: Record<string, unknown> } }).implementations.actions;
  for (let n: NodeView | undefined = leaf; n; n = n.parent) {
    for (const key of n.transitions.keys()) if (key.includes('*')) return null; // wildcard descriptors: leave to XState
    const candidates = n.transitions.get(eventType);
    if (!candidates || candidates.length === 0) continue;
    const t = candidates[0]!;
    if (t.guard !== undefined) return null;
    let target: NodeView | undefined;
    if ((t.target?.length ?? 0) > 0) {
      target = t.target!.length === 1 && n === leaf ? (t.target![0] as NodeView) : undefined;
      if (!target || !quietSiblings(leaf, target)) return null;
    }
    const plan: Plan = { assigns: [], target };
    for (const a of t.actions) {
      const resolved = (typeof a === 'function' ? a : actions[typeof a === 'string' ? a : (a as { type: string }).type]) as BuiltinAction | undefined;
      if (!resolved || typeof resolved.resolve !== 'function' || resolved.type !== 'xstate.assign') return null;
      plan.assigns.push(
        typeof a === 'object' && a !== null && 'params' in a ? { assign: resolved, params: (a as { params: unknown }).params } : { assign: resolved },
      );
    }
    return plan;
  }
  return { assigns: [] }; // no node handles the event: XState returns the snapshot unchanged
}

/**
 * A move from `leaf` to `target` that only swaps one for the other: two atomic children of the
 * same compound state, nothing run on leaving or entering (entry and exit actions, invocations,
 * delayed transitions, which XState turns into entry and exit actions), and no history to record
 * (an atomic state has no history children).
 */
function quietSiblings(leaf: NodeView, target: NodeView): boolean {
  return (
    target !== leaf &&
    target.type === 'atomic' &&
    target.parent === leaf.parent &&
    leaf.parent?.type === 'compound' &&
    leaf.exit.length === 0 &&
    target.entry.length === 0 &&
    leaf.invoke.length === 0 &&
    target.invoke.length === 0 &&
    leaf.config.after === undefined &&
    target.config.after === undefined
  );
}

/**
 * After XState took a sibling move for the first time: keep its state nodes, value and tags when
 * they are the leaf swapped for the target and nothing else (no actions, the same history), else
 * leave that move to XState for good. For a given leaf the other active nodes are its ancestors,
 * so every later move from it gives the same nodes.
 */
function learnTemplate(plan: Plan, before: AnyMachineSnapshot, [after, actions]: [AnyMachineSnapshot, ReturnedAction[]]): void {
  const b = (before as unknown as { _nodes: NodeView[] })._nodes;
  const a = (after as unknown as { _nodes: NodeView[] })._nodes;
  const swapped = a.length === b.length && a[a.length - 1] === plan.target && a.slice(0, -1).every((n, i) => n === b[i]);
  const same = after.status === 'active' && actions.length === 0 && after.historyValue === before.historyValue && after.children === before.children;
  if (swapped && same) plan.template = { _nodes: a, value: after.value, tags: after.tags };
  else plan.xstateOnly = true;
}

/** What XState's microstep does for such a transition: each assign resolved on the previous result. */
function takeAssigns(plan: PlannedAssign[], snapshot: AnyMachineSnapshot, event: { type: string }, scope: InertScope): AnyMachineSnapshot {
  let s = snapshot;
  for (const step of plan) {
    const args = { context: s.context, event, self: scope.self, system: scope.system };
    const params = typeof step.params === 'function' ? (step.params as (a: unknown) => unknown)({ context: s.context, event }) : step.params;
    s = step.assign.resolve(scope, s, args, params, step.assign, { internalQueue: [], deferredActorIds: undefined })[0];
  }
  return s;
}
