/** A console feed (`GET /api/events`, routes/events.routes.ts) read by a test: every frame kept, parsed. */
import type { TestPlatform } from './platform.ts';

/** One server-sent event: its name and its JSON data. */
export interface SseFrame {
  event: string;
  data: Record<string, unknown>;
}

/** An open feed. */
export interface OpenFeed {
  /** Every frame so far, in order. */
  frames: SseFrame[];
  /** The frames of one event name (`transition`, `device`…). */
  of(event: string): SseFrame[];
  close(): void;
}

/**
 * Open `path` (e.g. `/api/events?topic=actors&type=pu`) on `node` with `token` (the admin token when not given).
 * @example const feed = await openFeed(node, '/api/events'); … feed.of('device'); feed.close()
 */
export async function openFeed(node: TestPlatform, path: string, token?: string): Promise<OpenFeed> {
  const abort = new AbortController();
  const r = await node.api(path, { signal: abort.signal, ...(token ? { token } : {}) });
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${await r.text()}`);
  const frames: SseFrame[] = [];
  let buf = '';
  (async () => {
    const dec = new TextDecoder();
    for await (const chunk of r.body!) {
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = raw.match(/^event: (.*)$/m)?.[1];
        const data = raw.match(/^data: (.*)$/m)?.[1];
        if (event && data) frames.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch(() => {});
  return { frames, of: (event) => frames.filter((f) => f.event === event), close: () => abort.abort() };
}
