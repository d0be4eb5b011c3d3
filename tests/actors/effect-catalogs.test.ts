/**
 * Every machine's effects are in its catalog, every catalog entry is declared and used by its
 * machine, catalogs do not share names, and the platform binds a handler for each of them.
 */
import { ACTOR_SEND } from '../../actors/host/tell.ts';
import { describe, expect, it } from 'bun:test';
import type { AnyStateMachine } from 'xstate';
import { effect, type EffectCatalog } from '../../actors/host/effect-catalog.ts';
import { MACHINES } from '../../actors/machines/index.ts';
import { puEffects } from '../../actors/machines/pu.effects.ts';
import { recordingEffects } from '../../actors/machines/recording.effects.ts';
import { segmentEffects } from '../../actors/machines/segment.effects.ts';
import { streamEffects } from '../../actors/machines/stream.effects.ts';
import { sdPlayEffects } from '../../actors/machines/sdplay.effects.ts';
import { nodeEffects } from '../../actors/machines/node.effects.ts';
import { mqttEffects } from '../../actors/machines/mqtt.effects.ts';
import { detectorEffects } from '../../actors/machines/detector.effects.ts';
import { platformEffects } from '../../boot/start.ts';
import { silentLog } from '../../lib/log.ts';

/** Each machine type's catalog. */
const CATALOGS: Record<string, EffectCatalog> = {
  pu: puEffects,
  stream: streamEffects,
  sdplay: sdPlayEffects,
  recording: recordingEffects,
  segment: segmentEffects,
  node: nodeEffects,
  mqtt: mqttEffects,
  detector: detectorEffects,
};

/** The no-op every effect entry of `setup({ actions })` is (what `effect()` returns). */
const DECLARED_EFFECT = effect(puEffects, 'vd.close');

type ActionRef = string | { type?: unknown } | ((...args: unknown[]) => unknown);
interface Node {
  entry: ActionRef[];
  exit: ActionRef[];
  transitions: Map<string, Array<{ actions: readonly ActionRef[] }>>;
  always?: Array<{ actions: readonly ActionRef[] }>;
  states: Record<string, Node>;
}

/** The names of the implemented actions the machine's config refers to (entry, exit, every transition, eventless ones). */
function actionNamesInConfig(machine: AnyStateMachine): Set<string> {
  const names = new Set<string>();
  const add = (refs: readonly ActionRef[]) => {
    for (const r of refs) {
      if (typeof r === 'string') names.add(r);
      else if (typeof r === 'object' && typeof r.type === 'string') names.add(r.type);
    }
  };
  const walk = (n: Node) => {
    add(n.entry);
    add(n.exit);
    for (const ts of n.transitions.values()) for (const t of ts) add(t.actions);
    for (const t of n.always ?? []) add(t.actions);
    for (const c of Object.values(n.states)) walk(c);
  };
  walk(machine.root as unknown as Node);
  return names;
}

/** Whether an implementation is one of XState's built-in actions (assign, raise, cancel, enqueueActions…), which never reach the host as effects. */
function isBuiltIn(impl: unknown): boolean {
  const type: unknown = typeof impl === 'function' ? Reflect.get(impl, 'type') : undefined;
  return typeof type === 'string' && type.startsWith('xstate.');
}

describe('effect catalogs', () => {
  it('has one catalog per machine', () => {
    expect(MACHINES.map((d) => d.type).sort()).toEqual(Object.keys(CATALOGS).sort());
  });

  for (const def of MACHINES) {
    it(`lists every effect the ${def.type} machine emits, and nothing it does not`, () => {
      const catalog = CATALOGS[def.type] ?? {};
      const impls = def.machine.implementations.actions as Record<string, unknown>;
      const used = actionNamesInConfig(def.machine);
      // Every action the config names is implemented, and is either XState's (runs inside the
      // transition), a message to another actor (the host's own `actor.send`, checked by the host:
      // actors/host/tell.ts) or an effect of the catalog (the host runs it after the commit).
      for (const name of used) {
        expect({ name, implemented: name in impls }).toEqual({ name, implemented: true });
        if (!isBuiltIn(impls[name]) && name !== ACTOR_SEND) expect({ name, inCatalog: name in catalog }).toEqual({ name, inCatalog: true });
      }
      // Every catalog entry is declared in setup as an effect and used by the config.
      for (const name of Object.keys(catalog)) {
        expect({ name, declared: impls[name] === DECLARED_EFFECT, used: used.has(name) }).toEqual({ name, declared: true, used: true });
      }
    });
  }

  it('gives every effect one name across all catalogs', () => {
    const names = Object.values(CATALOGS).flatMap((c) => Object.keys(c));
    expect(new Set(names).size).toBe(names.length);
  });

  it("binds a handler in the platform's effects map for every effect of every catalog", () => {
    // The handlers reach the services only when they run; building the map needs the live service's handler table.
    const stub = {
      live: { effects: () => ({}) },
      sdplay: { effects: () => ({}) },
      drain: { effects: () => ({}) },
      detection: { effects: () => ({}) },
    } as unknown as Parameters<typeof platformEffects>[0];
    const bound = Object.keys(platformEffects(stub, silentLog)).sort();
    expect(bound).toEqual(
      Object.values(CATALOGS)
        .flatMap((c) => Object.keys(c))
        .sort(),
    );
  });
});
