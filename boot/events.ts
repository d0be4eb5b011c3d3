/**
 * The events page's recorder and the webhooks' sender (docs/webhooks.md), built for one platform process: the
 * recorder hears the host's committed transitions, the sender polls the delivery outbox, and both are pruned after
 * EVENTS_RETENTION_DAYS.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../lib/config.ts';
import type { Logger } from '../lib/log.ts';
import type { Db } from '../db/client.ts';
import type { ActorHost } from '../actors/host/host.ts';
import { DeviceEvents } from '../services/events/events.ts';
import { Webhooks } from '../services/webhooks/webhooks.ts';
import { WebhookDelivery } from '../services/webhooks/delivery.ts';
import { catchUpEvents } from '../services/events/catch-up.ts';

/** How often events and finished deliveries past their retention are deleted. */
export const EVENTS_PRUNE_INTERVAL_MS = 3600_000;

/** Build the events services; `start` once the host exists, `stop` before the database closes. */
export function eventServices(p: { db: Db; log: Logger; key: Buffer; cfg: Config }) {
  const events = new DeviceEvents({ db: p.db, log: p.log });
  const webhooks = new Webhooks({ db: p.db, key: p.key, allowPrivate: p.cfg.webhooks.allowPrivate });
  const ca = p.cfg.webhooks.caFile ? readFileSync(p.cfg.webhooks.caFile, 'utf8') : undefined;
  const delivery = new WebhookDelivery({ db: p.db, log: p.log, key: p.key }, { ...p.cfg.webhooks, ca });
  const prune = () =>
    events.prune(Date.now() - p.cfg.eventsRetentionMs).then(
      (n) => n > 0 && p.log.info({ rows: n, days: p.cfg.eventsRetentionMs / 86_400_000 }, 'old device events pruned'),
      (err) => p.log.warn({ err: String(err) }, 'pruning of device events failed'),
    );
  let pruning: ReturnType<typeof setInterval> | undefined;
  return {
    events,
    webhooks,
    delivery,
    /**
     * Write what a previous process heard but did not write (catch-up.ts), then hear the host's transitions (before
     * it resumes its actors, so none is missed) and start sending.
     */
    async start(host: Pick<ActorHost, 'subscribe'>): Promise<void> {
      await catchUpEvents(p.db, events).catch((err) => p.log.warn({ err: String(err) }, 'device events of the last minutes not read again'));
      events.start(host);
      delivery.start();
      pruning = setInterval(prune, EVENTS_PRUNE_INTERVAL_MS);
    },
    async stop(): Promise<void> {
      clearInterval(pruning);
      await delivery.stop();
      await events.stop();
    },
  };
}
