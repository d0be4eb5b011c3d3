/**
 * The admins' stream overview (docs/console.md "Live grid and stream overview"): every stream actor that has not
 * ended, with what its context knows: state, since when, viewers, and the ingest statistics the MDU reports every
 * second while live (bitrate, bytes). The actors are the source (any node's streams are listed); the statistics are
 * the newest a node holds: a stream another node runs shows the figures last written with its row.
 */
import { sql } from 'drizzle-orm';
import type { ActorHost } from '../../actors/host/host.ts';
import type { StreamContext } from '../../actors/machines/stream.types.ts';
import type { Db } from '../../db/client.ts';

/** Most streams one overview lists (newest first); `truncated` says when there were more. */
export const STREAM_OVERVIEW_MAX = 200;

/** One stream as the overview shows it. */
export interface StreamOverviewRow {
  stream_id: string;
  actor_id: string;
  device_id: string;
  channel: number;
  state: string;
  /** When the current state began, ms since the epoch. */
  since: number;
  /** When the first picture arrived (ingest started), ms since the epoch; null before. */
  live_at: number | null;
  /** Viewers the stream counts (registered or connected). */
  viewers: number;
  /** Ingest bitrate, bit/s, at `stats_at`; null before the first report. */
  bitrate_bps: number | null;
  /** Bytes ingested so far; null before the first report. */
  bytes: number | null;
  stats_at: number | null;
  reason: string;
}

/** The streams that have not ended, newest first, at most {@link STREAM_OVERVIEW_MAX}. */
export async function streamOverview(p: { db: Db; host: Pick<ActorHost, 'get'> }): Promise<{ streams: StreamOverviewRow[]; truncated: boolean }> {
  const ids = await p.db.rows<{ id: string }>(
    sql`SELECT id FROM actors WHERE type = 'stream' AND status = 'active' ORDER BY created_at DESC LIMIT ${STREAM_OVERVIEW_MAX + 1}`,
  );
  const views = await Promise.all(ids.slice(0, STREAM_OVERVIEW_MAX).map((r) => p.host.get(r.id)));
  const streams = views.flatMap((v) => {
    if (v?.status !== 'active') return [];
    const c = v.context as unknown as StreamContext;
    return [
      {
        stream_id: c.streamId,
        actor_id: v.id,
        device_id: c.deviceId,
        channel: c.channel,
        state: v.stateKey,
        since: c.since,
        live_at: c.liveAt ?? null,
        viewers: Object.keys(c.viewers ?? {}).length,
        bitrate_bps: c.stats?.bitrateBps ?? null,
        bytes: c.stats?.bytes ?? null,
        stats_at: c.stats?.at ?? null,
        reason: c.reason,
      },
    ];
  });
  return { streams, truncated: ids.length > STREAM_OVERVIEW_MAX };
}
