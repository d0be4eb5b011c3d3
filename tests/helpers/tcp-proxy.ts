/**
 * A TCP proxy a test controls, to cut one node off from PostgreSQL as a network partition does (tests/cluster/
 * partition.test.ts): bytes go both ways until `cut()`, which black-holes the link: nothing is forwarded and nothing
 * more is read (the kernel's buffers fill, the sender's writes stall), while every socket stays open, so the node sees
 * silence, not a reset, as behind a dead switch. `restore()` forwards what waited and carries on; `reset()` kills
 * every connection (the node sees its connections drop and opens new ones).
 */
import type { Socket, TCPSocketListener } from 'bun';

/** Where the proxy listens: the loopback only, the node is on this machine. */
const PROXY_HOST = '127.0.0.1';

/** One direction of a proxied connection: what is read from one socket and not yet written to the other. */
interface Pipe {
  queue: Uint8Array[];
}

/** One proxied connection: the node's socket and the upstream one. */
interface Link {
  client: Socket<LinkRef>;
  upstream?: Socket<LinkRef>;
  /** Client → upstream. */
  up: Pipe;
  /** Upstream → client. */
  down: Pipe;
  closed: boolean;
}

/** What each socket carries: its link (set once the link exists). */
interface LinkRef {
  link?: Link;
}

/** A running proxy. */
export interface TcpProxy {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Connections open now. */
  readonly connections: number;
  /** Whether the link is cut. */
  readonly isCut: boolean;
  /** `url` (a postgres:// URL of the target) rewritten to go through this proxy. */
  via(url: string): string;
  /** Black-hole the link: stop forwarding and stop reading; sockets stay open. */
  cut(): void;
  /** Forward again, what waited first. */
  restore(): void;
  /** Close every connection (a reset), forwarding again for new ones. */
  reset(): void;
  /** Stop listening and close every connection. */
  close(): void;
}

/**
 * Proxy 127.0.0.1:<random port, or `listen.port`> to `target` (a proxy closed and started again on its port is a
 * server that went away and came back: tests/e2e/mqtt.test.ts).
 * @example
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
 * const url = proxy.via('postgres://postgres@127.0.0.1:5432/test'); proxy.cut(); proxy.restore(); proxy.close()
 */
export async function startTcpProxy(target: { host: string; port: number }, listen: { port?: number } = {}): Promise<TcpProxy> {
  const links = new Set<Link>();
  let cut = false;

  /** Write what `pipe` holds to `to`, as far as the socket takes it (the rest on its drain). */
  const flush = (pipe: Pipe, to: Socket<LinkRef> | undefined) => {
    if (cut || !to) return;
    while (pipe.queue.length > 0) {
      const chunk = pipe.queue[0]!;
      const n = to.write(chunk);
      if (n < chunk.length) {
        pipe.queue[0] = chunk.subarray(Math.max(0, n));
        return;
      }
      pipe.queue.shift();
    }
  };

  const closeLink = (link: Link) => {
    if (link.closed) return;
    link.closed = true;
    links.delete(link);
    link.client.end();
    link.upstream?.end();
  };

  const connectUpstream = async (link: Link) => {
    try {
      const upstream = await Bun.connect<LinkRef>({
        hostname: target.host,
        port: target.port,
        data: { link },
        socket: {
          data: (_s, chunk) => {
            link.down.queue.push(new Uint8Array(chunk));
            flush(link.down, link.client);
          },
          drain: () => flush(link.up, link.upstream),
          close: () => closeLink(link),
          error: () => closeLink(link),
        },
      });
      if (link.closed) return void upstream.end();
      link.upstream = upstream;
      if (cut) upstream.pause();
      else link.client.resume();
      flush(link.up, upstream);
    } catch {
      closeLink(link);
    }
  };

  const server: TCPSocketListener<LinkRef> = Bun.listen<LinkRef>({
    hostname: PROXY_HOST,
    port: listen.port ?? 0,
    socket: {
      open: (client) => {
        const link: Link = { client, up: { queue: [] }, down: { queue: [] }, closed: false };
        client.data = { link };
        links.add(link);
        // Nothing is read until upstream is connected; while cut, not even connected: the node sees silence.
        client.pause();
        if (!cut) void connectUpstream(link);
      },
      data: (client, chunk) => {
        const link = client.data.link!;
        link.up.queue.push(new Uint8Array(chunk));
        flush(link.up, link.upstream);
      },
      drain: (client) => {
        const link = client.data.link!;
        flush(link.down, link.client);
      },
      close: (client) => client.data.link && closeLink(client.data.link),
      error: (client) => client.data.link && closeLink(client.data.link),
    },
  });

  return {
    port: server.port,
    get connections() {
      return links.size;
    },
    get isCut() {
      return cut;
    },
    via: (url) => {
      const u = new URL(url);
      u.hostname = PROXY_HOST;
      u.port = String(server.port);
      return u.toString();
    },
    cut: () => {
      cut = true;
      for (const l of links) {
        l.client.pause();
        l.upstream?.pause();
      }
    },
    restore: () => {
      cut = false;
      for (const l of [...links]) {
        if (!l.upstream) {
          void connectUpstream(l);
          continue;
        }
        l.client.resume();
        l.upstream.resume();
        flush(l.up, l.upstream);
        flush(l.down, l.client);
      }
    },
    reset: () => {
      cut = false;
      for (const l of [...links]) {
        l.closed = true;
        links.delete(l);
        l.client.terminate();
        l.upstream?.terminate();
      }
    },
    close: () => {
      for (const l of [...links]) closeLink(l);
      server.stop(true);
    },
  };
}
