import { expect, it } from 'bun:test';
import { ACTOR_SEND } from '../../actors/host/tell.ts';
import { pureInitial, pureTransition } from '../../actors/host/transition.ts';
import { callerMachine } from '../fixtures/outbox.machines.ts';

it('returns a tell as an actor.send action with its params computed from the context, for the host to carry out', () => {
  const [s0] = pureInitial(callerMachine, { peer: 'bell:1' });
  const [s1, actions] = pureTransition(callerMachine, s0, { type: 'call' });
  expect(s1.context).toEqual({ peer: 'bell:1', calls: 1 });
  expect(actions.map((a) => [a.type, a.params])).toEqual([[ACTOR_SEND, { to: 'bell:1', event: { type: 'ring', n: 1 } }]]);
});
