/**
 * Typed effects. Each machine declares its effects in one catalog beside it
 * (`actors/machines/<machine>.effects.ts`): effect name → zod schema of its params, with what the
 * effect does, why running it again under its effect key is harmless, and what happens when the
 * process dies between the commit that decided it and its run (effects are not persisted: the
 * machine's timers or the device's own retries cover a lost one). The machine's `setup({ actions })`
 * takes its effect entries from the catalog ({@link effect}), so a machine that emits params
 * of the wrong shape does not compile; the services implement {@link EffectHandlersFor} the
 * catalog, one handler per effect, each receiving the params and the actor's context typed; and
 * {@link bindEffects} turns those handlers into the host's runtime map, checking every call's
 * params against the catalog before its handler runs. That check costs 0.2–1 µs per effect
 * (zod 4, measured on the dev machine); effects are rare next to events (a command, a stream's
 * start and stop, a record session's, a segment's removal) and a keepalive emits none.
 * @module
 */
import { z } from 'zod';
import type { Logger } from '../../lib/log.ts';
import type { EffectCall, EffectHandlers } from './host.ts';

/** One effect as its machine declares it. */
export interface EffectSpec {
  /** Its params, as the machine emits them: the single source of their type. */
  readonly params: z.ZodType<Record<string, unknown> | undefined>;
  /** What the effect does. */
  readonly does: string;
  /**
   * Why running it twice is harmless, or how it uses its effect key `<actor>:<seq>:<index>`
   * (the host runs an effect once per commit; a second run comes only from a machine that emits it again).
   */
  readonly idempotent: string;
  /** What happens if the process dies between the commit that decided the effect and its run (the effect is lost). */
  readonly ifLost: string;
}

/** The params of an effect that takes none (optional, so a machine's config may name it bare: `entry: 'recording.stop'`). */
export const NoEffectParams = z.strictObject({}).optional();

/** A machine's effect catalog: every effect it emits, by action name. */
export type EffectCatalog = Readonly<Record<string, EffectSpec>>;

/** The constraint on a catalog type `C` in generics: each of its own keys an effect (no index signature, so no undefined entries). */
export type CatalogOf<C> = { readonly [N in keyof C]: EffectSpec };

/** The params of effect `K` of catalog `C`. */
export type EffectParams<C extends CatalogOf<C>, K extends keyof C> = z.infer<C[K]['params']>;

/** What a typed handler is given: the host's call with its params and its actor's context typed. */
export type TypedEffectCall<P, Ctx> = Omit<EffectCall, 'params' | 'context'> & { params: P; context: Ctx };

/** One handler per effect of catalog `C` (a missing one is a compile error), for actors whose context is `Ctx`. */
export type EffectHandlersFor<C extends CatalogOf<C>, Ctx> = {
  [K in keyof C]: (call: TypedEffectCall<EffectParams<C, K>, Ctx>) => void | Promise<void>;
};

/** The no-op action that declares effect `K` in `setup({ actions })`, with its params' type. */
type EffectAction<P> = (args: unknown, params: P) => void;

/**
 * The machine's `setup({ actions })` entry for effect `name`: a no-op whose params are typed by the
 * catalog (the host runs the real handler after the commit), so an action object of the wrong
 * shape in the machine's config does not compile.
 * @example setup({ actions: { 'vd.close': effect(puEffects, 'vd.close') } })
 */
export function effect<C extends CatalogOf<C>, K extends keyof C & string>(_catalog: C, _name: K): EffectAction<EffectParams<C, K>> {
  return noop;
}

/** What a declared effect does inside the machine: nothing (the host runs its handler after the commit). */
function noop(): void {}

/** A catalog's effect names, as its own key type. */
function keysOf<C extends CatalogOf<C>>(catalog: C): Array<keyof C & string> {
  return Object.keys(catalog) as Array<keyof C & string>; // Object.keys widens to string[]
}

/** Where an invalid param is, for the log: its path and zod's words. */
function firstIssue(error: z.ZodError): { field: string; problem: string } {
  const issue = error.issues[0];
  return { field: issue?.path.map(String).join('.') || '(params)', problem: issue?.message ?? error.message };
}

/**
 * The host's runtime effect map for one catalog. Each call's params are parsed with the effect's
 * schema first: an invalid param is a bug in the machine (its types come from the same schema), so
 * it is logged with the effect and the field, and the handler does not run.
 *
 * The context is narrowed here, in this one place: the host hands an effect the context of the
 * actor whose machine emitted it, and a machine emits only its own catalog's effects (catalog
 * names are disjoint, tests/actors/effect-catalogs.test.ts), so it is that machine's context.
 * @example bindEffects(puEffects, handlers, log)
 */
export function bindEffects<C extends CatalogOf<C>, Ctx>(catalog: C, handlers: EffectHandlersFor<C, Ctx>, log: Logger): EffectHandlers {
  const map: EffectHandlers = {};
  for (const name of keysOf(catalog)) map[name] = bindKey(catalog, handlers, name, log);
  return map;
}

/** The runtime handler of effect `name` of a catalog. */
function bindKey<C extends CatalogOf<C>, Ctx, K extends keyof C & string>(catalog: C, handlers: EffectHandlersFor<C, Ctx>, name: K, log: Logger) {
  return bindOne<C[K]['params'], Ctx>(name, catalog[name].params, handlers[name], log);
}

/** One effect's runtime handler: parse its params with its schema, then run it. */
function bindOne<S extends EffectSpec['params'], Ctx>(
  name: string,
  schema: S,
  handler: (call: TypedEffectCall<z.output<S>, Ctx>) => void | Promise<void>,
  log: Logger,
): (call: EffectCall) => void | Promise<void> {
  return (call) => {
    const parsed = z.safeParse(schema, call.params);
    if (!parsed.success) {
      log.error({ actor: call.actorId, effect: name, key: call.key, ...firstIssue(parsed.error) }, 'effect params invalid; not run');
      return;
    }
    return handler({ ...call, params: parsed.data, context: call.context as Ctx });
  };
}

/** The runtime maps of several catalogs as one; an effect name declared twice is an error (its context would be ambiguous). */
export function mergeEffects(...maps: EffectHandlers[]): EffectHandlers {
  const all: EffectHandlers = {};
  for (const m of maps) {
    for (const [name, h] of Object.entries(m)) {
      if (name in all) throw new Error(`effect ${name} is declared by two catalogs`);
      all[name] = h;
    }
  }
  return all;
}

/** What the handler of effect `K` of catalog `C` is given, for actors whose context is `Ctx`. */
export type EffectCallOf<C extends CatalogOf<C>, Ctx, K extends keyof C> = TypedEffectCall<EffectParams<C, K>, Ctx>;
