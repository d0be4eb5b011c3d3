/**
 * Users' webhooks (docs/webhooks.md): made with an https URL (at most WEBHOOKS_PER_USER_MAX each), a secret shown
 * once and kept sealed under the platform key, removed by their owner; and each one's delivery history.
 */
import { notPublicReason } from '../../lib/public-address.ts';
import { randomBytes } from 'node:crypto';
import { and, count, desc, eq } from 'drizzle-orm';
import { webhookDeliveries, webhooks } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';
import { encryptSecret } from '../../lib/secrets.ts';
import type { WebhookCreate } from '../../protocol/events-api.ts';
import { DomainError } from '../errors.ts';
import type { Principal } from '../users/principal.ts';

/** Webhooks one user may have (platform's choice). */
export const WEBHOOKS_PER_USER_MAX = 10;
/** Random bytes of a webhook's secret (256 bits, the HMAC-SHA256 key length). */
export const WEBHOOK_SECRET_BYTES = 32;
/** Random bytes of a webhook's id. */
const WEBHOOK_ID_BYTES = 12;
/** What a secret starts with, so a leaked one is recognisable. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A webhook as the API lists it (never its secret). */
export interface WebhookInfo {
  id: string;
  url: string;
  kinds: string[] | null;
  created_at: string;
}

/** One delivery as the API lists it. */
export interface DeliveryInfo {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
  /** Each attempt, oldest first: when, the receiver's HTTP status (null: no answer), the error (null: delivered). */
  attempt_log: Array<{ at: string; status: number | null; error: string | null }>;
  /** The event as sent. */
  event: unknown;
}

/** The user a principal is; webhooks belong to users, not to the admin token. */
function userOf(who: Principal): string {
  if (who.kind !== 'user') throw new DomainError('forbidden', 'webhooks belong to users: sign in as one');
  return who.userId;
}

/** Creates, lists and removes webhooks. */
export class Webhooks {
  constructor(private p: { db: Db; key: Buffer; allowPrivate: boolean }) {}

  /** Make a webhook; the answer carries its secret, which is never shown again. */
  async create(who: Principal, body: WebhookCreate): Promise<WebhookInfo & { secret: string }> {
    const userId = userOf(who);
    const inside = this.p.allowPrivate ? null : await notPublicReason(body.url);
    if (inside) throw new DomainError('invalid', `url: ${inside} (webhooks go to the public internet: docs/webhooks.md)`, 'url');
    const [{ n } = { n: 0 }] = await this.p.db.orm.select({ n: count() }).from(webhooks).where(eq(webhooks.userId, userId));
    if (n >= WEBHOOKS_PER_USER_MAX) throw new DomainError('conflict', `at most ${WEBHOOKS_PER_USER_MAX} webhooks per user: delete one first`);
    const secret = `${WEBHOOK_SECRET_PREFIX}${randomBytes(WEBHOOK_SECRET_BYTES).toString('base64url')}`;
    const [row] = await this.p.db.orm
      .insert(webhooks)
      .values({
        id: `wh_${randomBytes(WEBHOOK_ID_BYTES).toString('base64url')}`,
        userId,
        url: body.url,
        secretEnc: encryptSecret(this.p.key, secret),
        kinds: body.kinds ? [...new Set(body.kinds)] : null,
      })
      .returning();
    return { ...infoOf(row!), secret };
  }

  /** The caller's webhooks. */
  async list(who: Principal): Promise<WebhookInfo[]> {
    const rows = await this.p.db.orm
      .select()
      .from(webhooks)
      .where(eq(webhooks.userId, userOf(who)))
      .orderBy(webhooks.createdAt);
    return rows.map(infoOf);
  }

  /** Remove one of the caller's webhooks with its deliveries; another's is a 404. */
  async remove(who: Principal, id: string): Promise<void> {
    const gone = await this.p.db.orm
      .delete(webhooks)
      .where(and(eq(webhooks.id, id), eq(webhooks.userId, userOf(who))))
      .returning({ id: webhooks.id });
    if (gone.length === 0) throw new DomainError('not-found', `no webhook ${id}`);
  }

  /** One of the caller's webhooks' deliveries, newest first. */
  async deliveries(who: Principal, id: string, limit: number): Promise<DeliveryInfo[]> {
    const [hook] = await this.p.db.orm
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(and(eq(webhooks.id, id), eq(webhooks.userId, userOf(who))));
    if (!hook) throw new DomainError('not-found', `no webhook ${id}`);
    const rows = await this.p.db.orm
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, id))
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(limit);
    return rows.map((r) => ({
      id: r.id,
      event_id: r.eventId,
      status: r.status,
      attempts: r.attempts,
      last_status: r.lastStatus,
      last_error: r.lastError,
      next_attempt_at: r.status === 'pending' && r.nextAttemptAt ? r.nextAttemptAt.toISOString() : null,
      created_at: r.createdAt.toISOString(),
      delivered_at: r.deliveredAt?.toISOString() ?? null,
      attempt_log: r.attemptLog as DeliveryInfo['attempt_log'],
      event: JSON.parse(r.body),
    }));
  }
}

function infoOf(r: typeof webhooks.$inferSelect): WebhookInfo {
  return { id: r.id, url: r.url, kinds: (r.kinds as string[] | null) ?? null, created_at: r.createdAt.toISOString() };
}
