/**
 * Sends webhook deliveries (docs/webhooks.md): every WEBHOOK_POLL_MS each node claims due rows of the outbox
 * (`webhook_deliveries`) with `FOR UPDATE SKIP LOCKED`, moving their next attempt a lease ahead in the same statement,
 * so one node sends each attempt and a node that dies mid-attempt leaves it to another once the lease passed. A user
 * gets at most WEBHOOK_PER_USER_CONCURRENCY deliveries in flight on a node, and a round claims for at most
 * WEBHOOK_IN_FLIGHT_MAX in all: one user's slow receiver holds its own slots only. A failure (an error, a timeout,
 * a status other than 2xx) is retried after WEBHOOK_RETRY_BASE × 2^(attempt-1) (at most WEBHOOK_RETRY_MAX_MS), up to
 * WEBHOOK_ATTEMPTS_MAX attempts; then the delivery is `failed`.
 */
import { notPublicReason } from '../../lib/public-address.ts';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import { decryptSecret } from '../../lib/secrets.ts';
import { SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from './signature.ts';

/** How often a node looks for due deliveries. */
export const WEBHOOK_POLL_MS = 1000;
/** How long a receiver may take to answer (platform's choice). */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** A claimed attempt belongs to its node this long: past it (the node died) another node may send it. */
export const WEBHOOK_CLAIM_LEASE_MS = WEBHOOK_TIMEOUT_MS * 3;
/** Attempts before a delivery is `failed` (platform's choice: with the default base, about 4 h of retries). */
export const WEBHOOK_ATTEMPTS_MAX = 10;
/** The longest wait between two attempts. */
export const WEBHOOK_RETRY_MAX_MS = 3600_000;
/** Deliveries of one user in flight on one node at once. */
export const WEBHOOK_PER_USER_CONCURRENCY = 4;
/** Deliveries in flight on one node at once, all users together. */
export const WEBHOOK_IN_FLIGHT_MAX = 64;
/** Characters of a failure kept as `last_error`. */
export const WEBHOOK_ERROR_MAX_CHARS = 300;

/** How deliveries are sent (lib/config.ts `webhooks`). */
export interface WebhookSettings {
  /** First retry delay; each next one doubles (WEBHOOK_RETRY_BASE_S). */
  retryBaseMs: number;
  /** Accept any certificate (WEBHOOK_INSECURE_TLS=1: tests, receivers with self-signed certificates). */
  insecureTls: boolean;
  /** Send to loopback and private addresses too (WEBHOOK_ALLOW_PRIVATE=1); else a host that resolves to one fails the attempt. */
  allowPrivate: boolean;
  /** PEM of extra CAs to trust (WEBHOOK_CA_FILE). */
  ca?: string;
}

interface Claimed {
  id: string;
  user_id: string;
  body: string;
  attempts: number;
  url: string;
  secret_enc: string;
  kind: string;
}

/** The wait before attempt `attempts + 1`, after `attempts` failed. */
export function retryDelayMs(baseMs: number, attempts: number): number {
  return Math.min(WEBHOOK_RETRY_MAX_MS, baseMs * 2 ** Math.max(0, attempts - 1));
}

/** The webhook sender of one node. */
export class WebhookDelivery {
  private inFlight = new Map<string, number>();
  private total = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  private kicked = false;
  private stopped = false;
  private sends = new Set<Promise<void>>();

  constructor(
    private p: { db: Db; log: Logger; key: Buffer },
    private settings: WebhookSettings,
  ) {}

  /** Start polling. */
  start(): void {
    this.timer = setInterval(() => void this.poll(), WEBHOOK_POLL_MS);
  }

  /** Stop polling and wait for the attempts in flight (each bounded by WEBHOOK_TIMEOUT_MS). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.sends]);
  }

  /** Claim due deliveries, at most each user's free slots here and WEBHOOK_IN_FLIGHT_MAX in all, and send them. */
  async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const room = WEBHOOK_IN_FLIGHT_MAX - this.total;
      if (room < 1) return;
      const busy = [...this.inFlight.entries()];
      const full = busy.filter(([, n]) => n >= WEBHOOK_PER_USER_CONCURRENCY).map(([u]) => sql`${u}`);
      const notFull = full.length ? sql`AND user_id NOT IN (${sql.join(full, sql`, `)})` : sql``;
      // What this node already sends for a user counts against its slots.
      const used = busy.length
        ? sql`coalesce((SELECT n FROM (VALUES ${sql.join(
            busy.map(([u, n]) => sql`(${u}, ${n}::int)`),
            sql`, `,
          )}) AS b(user_id, n) WHERE b.user_id = u.user_id), 0)`
        : sql`0`;
      const lease = new Date(Date.now() + WEBHOOK_CLAIM_LEASE_MS).toISOString();
      const claimed = await this.p.db.rows<Claimed>(sql`
        WITH due_users AS (
          SELECT DISTINCT user_id FROM webhook_deliveries
          WHERE status = 'pending' AND next_attempt_at <= now() ${notFull}
          LIMIT ${room}
        ), picked AS (
          SELECT p.id FROM due_users u CROSS JOIN LATERAL (
            SELECT id FROM webhook_deliveries d
            WHERE d.user_id = u.user_id AND d.status = 'pending' AND d.next_attempt_at <= now()
            ORDER BY d.next_attempt_at LIMIT greatest(0, ${WEBHOOK_PER_USER_CONCURRENCY}::int - ${used})
            FOR UPDATE SKIP LOCKED
          ) p
          LIMIT ${room}
        )
        UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = ${lease}::timestamptz
        FROM picked, webhooks w
        WHERE d.id = picked.id AND w.id = d.webhook_id
        RETURNING d.id, d.user_id, d.body, d.attempts, w.url, w.secret_enc, d.body::jsonb->>'kind' AS kind`);
      for (const c of claimed) this.launch(c);
    } catch (err) {
      this.p.log.warn({ err: String(err) }, 'webhook deliveries not claimed; next round retries');
    } finally {
      this.polling = false;
    }
  }

  /** A slot freed: look for due deliveries at once rather than at the next tick (one look for many freed slots). */
  private kick(): void {
    if (this.kicked || this.stopped) return;
    this.kicked = true;
    setTimeout(() => {
      this.kicked = false;
      void this.poll();
    }, 0);
  }

  /** Deliveries this node is sending. */
  get inFlightCount(): number {
    return this.total;
  }

  private launch(c: Claimed): void {
    this.inFlight.set(c.user_id, (this.inFlight.get(c.user_id) ?? 0) + 1);
    this.total++;
    const run = this.attempt(c).finally(() => {
      const left = (this.inFlight.get(c.user_id) ?? 1) - 1;
      if (left > 0) this.inFlight.set(c.user_id, left);
      else this.inFlight.delete(c.user_id);
      this.total--;
      this.sends.delete(run);
      this.kick();
    });
    this.sends.add(run);
  }

  /** One attempt: POST the signed body, then record how it went. */
  private async attempt(c: Claimed): Promise<void> {
    let status: number | null = null;
    let error: string | null = null;
    try {
      // Checked again at every attempt: the name may resolve elsewhere than when the webhook was made (lib/public-address.ts).
      const inside = this.settings.allowPrivate ? null : await notPublicReason(c.url);
      if (inside) throw new Error(`not sent: ${inside}`);
      const ts = Math.floor(Date.now() / 1000);
      const secret = decryptSecret(this.p.key, c.secret_enc);
      const res = await fetch(c.url, {
        method: 'POST',
        body: c.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'h627-webhooks',
          [TIMESTAMP_HEADER]: String(ts),
          [SIGNATURE_HEADER]: sign(secret, ts, c.body),
          'X-H627-Event': c.kind,
          'X-H627-Delivery': c.id,
        },
        tls: { rejectUnauthorized: !this.settings.insecureTls, ...(this.settings.ca ? { ca: this.settings.ca } : {}) },
      });
      status = res.status;
      await res.body?.cancel().catch(() => {}); // the answer's body is not read: only its status counts
      if (status < 200 || status >= 300) error = `the receiver answered HTTP ${status}`;
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    await this.settle(c, status, error).catch((err) =>
      this.p.log.warn({ delivery: c.id, err: String(err) }, 'webhook delivery outcome not stored; its lease makes it due again'),
    );
  }

  /** Store an attempt's outcome: delivered, due again after its backoff, or failed for good. */
  private async settle(c: Claimed, status: number | null, error: string | null): Promise<void> {
    const lastError = error?.slice(0, WEBHOOK_ERROR_MAX_CHARS) ?? null;
    // One entry per attempt, so the history shows a 500 before the 200 (bounded: attempts are).
    const log = sql`attempt_log = attempt_log || jsonb_build_array(jsonb_build_object('at', now(), 'status', ${status}::int, 'error', ${lastError}::text))`;
    if (lastError === null) {
      await this.p.db.rows(
        sql`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_status = ${status}, next_attempt_at = NULL, ${log} WHERE id = ${c.id}`,
      );
      return;
    }
    if (c.attempts >= WEBHOOK_ATTEMPTS_MAX) {
      await this.p.db.rows(
        sql`UPDATE webhook_deliveries SET status = 'failed', last_status = ${status}, last_error = ${lastError}, next_attempt_at = NULL, ${log} WHERE id = ${c.id}`,
      );
      this.p.log.warn({ delivery: c.id, attempts: c.attempts, err: lastError }, 'webhook delivery failed for good');
      return;
    }
    const next = new Date(Date.now() + retryDelayMs(this.settings.retryBaseMs, c.attempts)).toISOString();
    await this.p.db.rows(
      sql`UPDATE webhook_deliveries SET last_status = ${status}, last_error = ${lastError}, next_attempt_at = ${next}::timestamptz, ${log} WHERE id = ${c.id}`,
    );
  }
}
