import { expect, it } from 'bun:test';
import { makeHost, useHostDb } from './host.fixture.ts';

const t = useHostDb();

it("a client chaining each event on the last one's commit does not starve timers and sockets", async () => {
  // PGlite answers a commit within microtasks: without a yield between batches the lane's loop
  // and the client's chain would run forever, and no timer would ever fire.
  const { host } = makeHost(t);
  await host.create('lamp', 'lamp:chain', { name: 'chain' });
  let running = true;
  let done = 0;
  let timerFired: () => void = () => {};
  const fired = new Promise<void>((resolve) => {
    timerFired = resolve;
  });
  const next = (): void => {
    if (running)
      host.dispatch('lamp:chain', { type: 'label', text: `c${done}` }).then(() => {
        // Once the chain runs, a timer is set: it never fires if the loop starves timers.
        if (++done === 1) setTimeout(timerFired, 0);
        next();
      });
  };
  next();
  await fired;
  running = false;
  await host.stop();
  expect(done).toBeGreaterThan(0);
});
