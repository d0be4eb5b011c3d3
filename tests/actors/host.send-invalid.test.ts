import { expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { setup } from 'xstate';
import { actorSendAction, tell } from '../../actors/host/tell.ts';
import { type Logger, silentLog } from '../../lib/log.ts';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

/** A machine whose message names no receiver. */
const nowhere = setup({ types: {} as { context: Record<string, never>; events: { type: 'go' } }, actions: { ...actorSendAction } }).createMachine({
  id: 'nowhere',
  context: {},
  on: { go: { actions: tell(() => ({ to: '', event: { type: 'ring' } })) } },
});

it('logs and does not send a message whose params are invalid; the transition itself is kept', async () => {
  const errors: string[] = [];
  const log = { ...silentLog, error: (_: unknown, msg?: string) => errors.push(String(msg)), child: () => log } as unknown as Logger;
  const { host } = makeHost(t, { machines: [{ type: 'nowhere', version: 1, machine: nowhere }], log });
  await host.create('nowhere', 'nowhere:1', {});
  expect((await host.dispatch('nowhere:1', { type: 'go' })).accepted).toBe(true);
  expect(errors).toEqual(['actor.send with invalid params; not sent']);
  expect(await t.db.rows(sql`select key from actor_outbox`)).toEqual([]);
  await host.stop();
});
