/** Read a server-sent event stream in tests. */
import { INSECURE } from '../helpers/platform.ts';

/** One received event. */
export interface SseEvent {
  event: string;
  data: any;
}

/** An open stream: the events so far, waiting for one, closing. */
export interface SseStream {
  status: number;
  events: SseEvent[];
  comments: number;
  next(pred: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  close(): void;
}

/** Open `url` with `headers` and parse its frames as they arrive. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal, ...INSECURE } as RequestInit);
  const s: SseStream & { waiters: Array<() => void> } = {
    status: res.status,
    events: [],
    comments: 0,
    waiters: [],
    next(pred, ms = 15_000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < s.events.length; seen++) if (pred(s.events[seen]!)) return (resolve(s.events[seen]!), true);
          return false;
        };
        if (check()) return;
        const t = setTimeout(() => reject(new Error(`no matching event within ${ms} ms; got ${JSON.stringify(s.events.map((e) => e.event))}`)), ms);
        s.waiters.push(() => check() && clearTimeout(t));
      });
    },
    close: () => ac.abort(),
  };
  if (!res.ok || !res.body) return s;
  (async () => {
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (frame.startsWith(':')) s.comments++;
        const ev = frame.match(/^event: (.*)$/m)?.[1];
        const data = frame.match(/^data: (.*)$/m)?.[1];
        if (ev && data !== undefined) s.events.push({ event: ev, data: JSON.parse(data) });
        for (const w of s.waiters) w();
      }
    }
  })().catch(() => {});
  return s;
}
