/**
 * The `actor.send` effect (actors/machines/tell.ts), delivered in process after the sender's
 * commit: the receiver is created first when the message says how and it does not exist, and
 * messages to one receiver are delivered in the order they were decided. (Interim: the host's
 * durable outbox replaces this; until then a crash between a commit and its delivery loses it.)
 */
import type { ActorHost, EffectCall } from '../actors/host/host.ts';
import { ActorExistsError } from '../actors/host/errors.ts';
import type { ActorSendParams } from '../actors/machines/tell.ts';
import type { Logger } from '../lib/log.ts';

/** The `actor.send` handler for the host's effects map. */
export function actorSendEffect(host: () => ActorHost, log: Logger): (call: EffectCall) => Promise<void> {
  const chains = new Map<string, Promise<void>>();
  return (call) => {
    const m = call.params as unknown as ActorSendParams;
    const prev = chains.get(m.to) ?? Promise.resolve();
    const next = prev.then(async () => {
      const h = host();
      if (m.create && !(await h.exists(m.to))) {
        try {
          await h.create(m.create.type, m.to, m.create.input, { deviceId: m.create.deviceId, parentId: m.create.parentId });
        } catch (err) {
          if (!(err instanceof ActorExistsError)) throw err;
        }
      }
      await h.dispatch(m.to, m.event);
    });
    const settled = next.catch((err) => log.error({ from: call.actorId, to: m.to, event: m.event.type, err: String(err) }, 'actor.send failed'));
    chains.set(m.to, settled);
    settled.then(() => {
      if (chains.get(m.to) === settled) chains.delete(m.to);
    });
    return settled;
  };
}
