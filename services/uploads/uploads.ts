/**
 * Single-use, expiring upload URLs handed to devices (Snapshot `url`, LogUploadAsync `url`,
 * AlarmNotify `pic_upload_url`): `PUT /upload/<token>` streams the bytes to a file under
 * $DATA_DIR/files (write, then rename), records it, and the token cannot be used again.
 * Stored files are named by the platform (`<kind>/<device id as one safe segment>/<random uuid>.<ext>`),
 * never from what a device or a user sent (a `trans_id`, a reference), and checked to lie under the root.
 */
import { and, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { isUnder, pathUnder, safeSegment } from '../../lib/safe-path.ts';
import { alarms, deviceLogs, grants, snapshots } from '../../db/schema.ts';
import { batchedWrite } from '../../db/batched.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { Config } from '../../lib/config.ts';
import { DomainError } from '../errors.ts';
import { randomToken } from '../../lib/secrets.ts';

/** What an upload is for. */
export type GrantKind = 'snapshot' | 'log' | 'alarm' | 'segment';

/** How long a device has to use an upload URL. */
export const UPLOAD_URL_TTL_MS = 10 * 60_000;
/** Largest picture accepted (snapshot, alarm picture). */
export const PICTURE_MAX_BYTES = 8 * 1024 * 1024;
/** Largest device log accepted. */
export const LOG_MAX_BYTES = 64 * 1024 * 1024;
/** Rows removed per statement when old alarms and snapshots are pruned. */
export const PRUNE_BATCH_ROWS = 1000;
/** Used or expired grants are kept this long (for the record), then forgotten. */
export const GRANT_RETENTION_MS = 24 * 3600_000;
/** File extension of each kind of upload. */
const FILE_EXTENSION: Record<GrantKind, string> = { snapshot: 'jpg', alarm: 'jpg', log: 'log', segment: 'ts' };
/** Path prefix of upload URLs. */
export const UPLOAD_PATH = '/upload';

/** A granted upload as the receiving side sees it. */
export interface Grant {
  token: string;
  kind: GrantKind;
  deviceId: string;
  ref: string;
  maxBytes: number;
}

/** What the uploads use. */
export interface UploadsDeps {
  db: Db;
  log: Logger;
  cfg: Pick<Config, 'filesDir'>;
  /** Base URL of the device's callbacks: https, or http for a device without https (services/devices/device-urls.ts). */
  deviceBaseUrl(deviceId: string): Promise<string>;
}

/**
 * New grants, $1 a JSON array of `{token, kind, device_id, ref, max_bytes, ttl_s}`, each expiring `ttl_s` seconds from
 * now (a constant text, prepared, batched: every alarm with a picture writes one, db/batched.ts).
 */
const GRANTS_SQL = `INSERT INTO grants (token, kind, device_id, ref, max_bytes, expires_at)
  SELECT t.token, t.kind, t.device_id, t.ref, t.max_bytes, now() + make_interval(secs => t.ttl_s)
  FROM jsonb_to_recordset($1::text::jsonb) AS t(token text, kind text, device_id text, ref text, max_bytes bigint, ttl_s float8)`;

/** A grant as GRANTS_SQL's input row. */
interface GrantRow {
  token: string;
  kind: GrantKind;
  device_id: string;
  ref: string;
  max_bytes: number;
  ttl_s: number;
}

/** Issues and receives device uploads. */
export class Uploads {
  readonly root: string;
  /** Grants asked for at once are written in one statement. */
  private writeGrant: (row: GrantRow) => Promise<void>;

  constructor(
    private p: UploadsDeps,
    private onStored: (g: Grant, file: string, size: number) => Promise<void>,
  ) {
    this.root = p.cfg.filesDir;
    this.writeGrant = batchedWrite<GrantRow>(p.db, GRANTS_SQL);
  }

  /** A new upload URL for a device. */
  async grant(kind: GrantKind, deviceId: string, ref: string, maxBytes: number, ttlMs = UPLOAD_URL_TTL_MS): Promise<string> {
    const token = randomToken();
    await this.writeGrant({ token, kind, device_id: deviceId, ref, max_bytes: maxBytes, ttl_s: ttlMs / 1000 });
    return `${await this.p.deviceBaseUrl(deviceId)}${UPLOAD_PATH}/${token}`;
  }

  /** A new file for an upload of a kind: a name the platform chooses, under the device's folder, under the root. */
  newFile(kind: GrantKind, deviceId: string): string {
    return pathUnder(this.root, kind, safeSegment(deviceId), `${randomUUID()}.${FILE_EXTENSION[kind]}`);
  }

  /**
   * A picture the platform took itself (a frame of a channel's live stream, docs/detection.md), kept as a snapshot of
   * the device: the same folder, listing, retention and deletion as one the camera uploaded. Returns its snapshot id.
   */
  async storePicture(deviceId: string, channel: number, jpeg: Uint8Array): Promise<string> {
    if (jpeg.byteLength > PICTURE_MAX_BYTES) throw new DomainError('invalid', `picture of ${jpeg.byteLength} bytes is over the limit of ${PICTURE_MAX_BYTES}`);
    const id = randomUUID();
    const file = this.newFile('snapshot', deviceId);
    mkdirSync(dirname(file), { recursive: true });
    await Bun.write(`${file}.part`, jpeg);
    renameSync(`${file}.part`, file);
    try {
      await this.p.db.orm.insert(snapshots).values({ id, deviceId, channel, file, size: jpeg.byteLength });
    } catch (err) {
      rmSync(file, { force: true });
      throw err;
    }
    return id;
  }

  /** Receive an upload: claim the token, stream the body to disk, record it. */
  async receive(token: string, body: ReadableStream<Uint8Array> | null, declared: number | undefined): Promise<{ size: number }> {
    const [g] = await this.p.db.orm
      .update(grants)
      .set({ usedAt: new Date() })
      .where(and(eq(grants.token, token), isNull(grants.usedAt), gt(grants.expiresAt, new Date())))
      .returning();
    if (!g) throw new DomainError('forbidden', 'this upload URL is unknown, expired or already used');
    const grant: Grant = { token, kind: g.kind, deviceId: g.deviceId, ref: g.ref, maxBytes: g.maxBytes };
    if (declared !== undefined && declared > g.maxBytes) {
      await this.release(token);
      throw new DomainError('invalid', `body of ${declared} bytes is over the limit of ${g.maxBytes}`);
    }
    const file = this.newFile(g.kind, g.deviceId);
    const part = `${file}.part`;
    mkdirSync(dirname(file), { recursive: true });
    let size = 0;
    try {
      const w = Bun.file(part).writer();
      if (body) {
        for await (const chunk of body) {
          size += chunk.byteLength;
          if (size > g.maxBytes) throw new DomainError('invalid', `body is over the limit of ${g.maxBytes} bytes`);
          w.write(chunk);
        }
      }
      await w.end();
      if (declared !== undefined && size !== declared) throw new DomainError('invalid', `received ${size} bytes, Content-Length said ${declared}`);
      renameSync(part, file);
    } catch (err) {
      rmSync(part, { force: true });
      await this.release(token);
      throw err;
    }
    await this.p.db.orm.update(grants).set({ size }).where(eq(grants.token, token));
    await this.onStored(grant, file, size);
    this.p.log.info({ device: g.deviceId, kind: g.kind, ref: g.ref, size }, 'upload stored');
    return { size };
  }

  /** Forget expired grants (kept a day for the record). */
  async prune(now = Date.now()): Promise<void> {
    await this.p.db.orm.delete(grants).where(lt(grants.expiresAt, new Date(now - GRANT_RETENTION_MS)));
  }

  /**
   * Forget alarms, snapshots and device logs older than `cutoffMs` (DEVICE_FILES_RETENTION_DAYS), rows and files, a
   * batch at a time so that no statement or loop holds the platform long. Returns the rows removed.
   */
  async pruneStored(cutoffMs: number): Promise<number> {
    const before = new Date(cutoffMs);
    const { orm } = this.p.db;
    const tables = [
      {
        name: 'alarms',
        run: () =>
          orm
            .delete(alarms)
            .where(inArray(alarms.id, orm.select({ id: alarms.id }).from(alarms).where(lt(alarms.receivedAt, before)).limit(PRUNE_BATCH_ROWS)))
            .returning({ file: alarms.picture }),
      },
      {
        name: 'snapshots',
        run: () =>
          orm
            .delete(snapshots)
            .where(inArray(snapshots.id, orm.select({ id: snapshots.id }).from(snapshots).where(lt(snapshots.takenAt, before)).limit(PRUNE_BATCH_ROWS)))
            .returning({ file: snapshots.file }),
      },
      { name: 'device_logs', run: () => orm.delete(deviceLogs).where(lt(deviceLogs.requestedAt, before)).returning({ file: deviceLogs.file }) },
    ];
    let removed = 0;
    for (const t of tables) {
      for (;;) {
        const rows = await t.run();
        for (const { file } of rows) if (file && isUnder(this.root, file)) rmSync(file, { force: true });
        removed += rows.length;
        if (rows.length < PRUNE_BATCH_ROWS || t.name === 'device_logs') break;
        await new Promise((resolve) => setImmediate(resolve)); // let requests in between batches
      }
    }
    return removed;
  }

  private async release(token: string): Promise<void> {
    // A failed upload does not use up the URL: the device may retry until it expires.
    await this.p.db.orm.update(grants).set({ usedAt: null }).where(eq(grants.token, token));
  }
}
