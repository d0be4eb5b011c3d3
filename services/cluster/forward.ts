/**
 * Any node serves any request (docs/cluster.md): a request addressing a device is served by the node
 * that owns the device's pu actor. Another node proxies it there over HTTPS, body streamed, headers
 * kept, with signed node headers (node-auth.ts) and the client's address added. A signed request is
 * never forwarded again. An owner that does not take a connection within FORWARD_CONNECT_TIMEOUT_MS
 * is looked up again once; if it is still the one named, or nobody live owns the device, the request
 * is served here (claiming on load takes the actor over once its owner's lease has ended).
 */
import { withinMs } from '../../db/errors.ts';
import { rootCertificates } from 'node:tls';
import { sql } from 'drizzle-orm';
import { nodeActorId, puActorId } from '../../actors/machines/ids.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { ActorOwner, ClusterDirectory } from './directory.ts';
import { CLIENT_IP_HEADER, NODE_HEADER_PREFIX, signNodeRequest, verifyNodeRequest, type NodeCheck } from './node-auth.ts';

/**
 * Longest wait for a TCP connection to the owner node, ms (platform's choice): nodes share a LAN, where a connection
 * takes well under a millisecond; a node that has not accepted within a second is dead or cut off, and the request is
 * better served (or refused) here than left waiting.
 */
export const FORWARD_CONNECT_TIMEOUT_MS = 1_000;
/**
 * How long a node that took a connection or answered is taken as reachable without a new probe, ms (platform's choice):
 * short against the lease (15 s), long enough that a stream of forwards costs one probe a few seconds.
 */
export const FORWARD_REACHABLE_TTL_MS = 3_000;
/** Response header naming the node a forwarded request was served by (for operators and tests). */
export const SERVED_BY_HEADER = 'x-h627-served-by';
/** Request headers that belong to one hop (RFC 9110 7.6.1) or that fetch sets itself. */
const HOP_REQUEST_HEADERS = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length'];
/** Response headers that belong to one hop. */
const HOP_RESPONSE_HEADERS = ['connection', 'keep-alive', 'proxy-connection', 'trailer', 'transfer-encoding', 'upgrade'];

/** How node-to-node HTTPS checks the peer's certificate. */
export interface NodeTls {
  /**
   * Skip the check (CLUSTER_TLS_INSECURE=1): for nodes with their own self-signed certificates. The platform-key
   * signature still authenticates the caller; only the callee's identity goes unchecked.
   */
  insecure: boolean;
  /**
   * PEM the peers' certificates are checked against besides the system's CAs: the TLS_CERT file, when set (a
   * certificate the nodes share, or a chain ending in the cluster's CA). Unset, only the system's CAs.
   */
  ca?: string;
}

/** The `tls` option of node-to-node fetches. */
export function nodeTlsOptions(t: NodeTls): { rejectUnauthorized: false } | { ca: string[] } | undefined {
  if (t.insecure) return { rejectUnauthorized: false };
  return t.ca ? { ca: [...rootCertificates, t.ca] } : undefined;
}

/** What a request addresses, as far as its owner is concerned. */
export type DeviceTarget =
  | { kind: 'device'; deviceId: string }
  | { kind: 'vr-channel'; token: string }
  | { kind: 'record-session'; sessionId: string }
  | { kind: 'upload-grant'; token: string }
  /** A node's own actor (`/api/admin/nodes/:id/…`: its drain is its own node's to run). */
  | { kind: 'node'; nodeId: string };

/** What the forwarder uses. */
export interface ForwardDeps {
  db: Pick<Db, 'rows' | 'awaySince'>;
  directory: Pick<ClusterDirectory, 'ownerOfActor' | 'invalidate' | 'node'>;
  key: Buffer;
  log: Logger;
  /** This node's id (NODE_ID; known once the server listens when it defaults to PUBLIC_HOST:port). */
  selfNode(): string;
  tls: NodeTls;
}

/** Where another node sends a failed login for the owner of the device's pu actor to count (routes/cluster.routes.ts). */
export const CLUSTER_LOGIN_FAILED_PATH = '/api/cluster/login-failed';
/**
 * Longest the lookups that route a request (whose device, which owner) may take (platform's choice): a database
 * that does not answer must not hold a request the route itself would answer with its 503 at once; past it the
 * request is served here.
 */
export const FORWARD_LOOKUP_TIMEOUT_MS = 2_000;
/** Where a node that took actors over tells the node it took them from (routes/cluster.routes.ts). */
export const CLUSTER_RELEASE_PATH = '/api/cluster/release';
/** Most actor ids in one release notice (the sender splits larger take-overs). */
export const RELEASE_BATCH_MAX = 1000;
/** Longest reason of a relayed failed login (the platform's own words: a few dozen characters). */
export const LOGIN_FAILED_REASON_MAX_CHARS = 200;
/** Longest client address relayed (an IPv6 address with a zone is under 64 characters). */
export const IP_MAX_CHARS = 64;
/** Longest a word to an owner node waits for its answer (platform's choice: a commit there, well under a second). */
export const TELL_OWNER_TIMEOUT_MS = 5_000;
/** Most characters of an owner's refusal quoted in an error. */
const TELL_OWNER_ERROR_CHARS = 200;

/**
 * Devices of tokens and sessions remembered (a Vr channel's token, a record session, a grant belongs to one device for
 * good): most entries kept, the oldest forgotten first (platform's choice: about 6 MB at most).
 */
export const FORWARD_DEVICE_CACHE_MAX = 65_536;

/** Where a request goes: served here, or proxied to a live owner. */
export type Route = { kind: 'local'; why: string } | { kind: 'remote'; owner: ActorOwner; actorId: string };

/** Routes requests for devices to their owners. */
export class Forwarder {
  private reachableUntil = new Map<string, number>();
  /** `kind:token` → its device (see FORWARD_DEVICE_CACHE_MAX): a Vr request's routing costs no read once seen. */
  private devices = new Map<string, string>();
  private tlsOptions: ReturnType<typeof nodeTlsOptions>;

  constructor(private p: ForwardDeps) {
    this.tlsOptions = nodeTlsOptions(p.tls);
  }

  /** The node headers of an incoming request, checked (see node-auth.ts). */
  check(req: Request, url: URL = new URL(req.url)): NodeCheck {
    return verifyNodeRequest(this.p.key, req.method, url.pathname + url.search, req.headers);
  }

  /** The device a target names, or undefined (an unknown token: the route answers as it always did). */
  async deviceOf(t: Exclude<DeviceTarget, { kind: 'node' }>): Promise<string | undefined> {
    if (t.kind === 'device') return t.deviceId;
    const key = t.kind === 'record-session' ? `${t.kind}:${t.sessionId}` : `${t.kind}:${t.token}`;
    const known = this.devices.get(key);
    if (known !== undefined) return known;
    // Plain reads, not the services' lookups: those load the session's actor, which would claim it for this node.
    const q =
      t.kind === 'vr-channel'
        ? sql`SELECT device_id FROM recording_sessions WHERE token = ${t.token}`
        : t.kind === 'record-session'
          ? sql`SELECT device_id FROM recording_sessions WHERE session_id = ${t.sessionId}`
          : sql`SELECT device_id FROM grants WHERE token = ${t.token}`;
    const [row] = await withinMs(this.p.db.rows<{ device_id: string }>(q), FORWARD_LOOKUP_TIMEOUT_MS);
    // Only what exists is remembered (a token unknown now may be made later); a stale entry only routes a request
    // to the device's owner, which answers it with its own lookup.
    if (row) {
      if (this.devices.size >= FORWARD_DEVICE_CACHE_MAX) this.devices.delete(this.devices.keys().next().value as string);
      this.devices.set(key, row.device_id);
    }
    return row?.device_id;
  }

  /**
   * Whether this node's statements fail for want of the database right now: who owns what cannot be read, so a
   * request is served here at once (the route answers its 503) instead of after FORWARD_LOOKUP_TIMEOUT_MS of a lookup
   * that would fail, or hang on a connection that neither connects nor fails (seen in tests/e2e/outage).
   */
  databaseAway(): boolean {
    return this.p.db.awaySince() !== null;
  }

  /** The actor whose owner serves a request for this target (a device's pu actor, a node's own actor), or undefined. */
  async actorOf(t: DeviceTarget): Promise<string | undefined> {
    if (t.kind === 'node') return nodeActorId(t.nodeId);
    const deviceId = await this.deviceOf(t);
    return deviceId === undefined ? undefined : puActorId(deviceId);
  }

  /** Where a request for `actorId` is served: its live owner if another node and reachable, else here. */
  async route(actorId: string): Promise<Route> {
    let tried: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const owner = await withinMs(this.p.directory.ownerOfActor(actorId), FORWARD_LOOKUP_TIMEOUT_MS);
      if (!owner) return { kind: 'local', why: 'unowned' };
      if (owner.node === this.p.selfNode()) return { kind: 'local', why: 'own' };
      if (!owner.live || !owner.baseUrl) return { kind: 'local', why: `owner ${owner.node} not live` };
      if (owner.node === tried) break; // looked up again and still the node that did not answer
      if (await this.reachable(owner)) return { kind: 'remote', owner, actorId };
      tried = owner.node;
      this.p.directory.invalidate(actorId);
    }
    this.p.log.warn({ actor: actorId, owner: tried, timeoutMs: FORWARD_CONNECT_TIMEOUT_MS }, 'owner node unreachable: serving here');
    return { kind: 'local', why: `owner ${tried} unreachable` };
  }

  /**
   * Proxy `req` to the owner: same method, path, query, headers and (streamed) body, plus the signed node headers and
   * the client's address. Resolves with the owner's answer as it is; rejects when the owner fails mid-way.
   */
  async proxy(req: Request, route: Extract<Route, { kind: 'remote' }>, clientIp: string | undefined): Promise<Response> {
    const url = new URL(req.url);
    const pathAndQuery = url.pathname + url.search;
    const headers = new Headers();
    for (const [name, value] of req.headers) {
      const lower = name.toLowerCase();
      if (HOP_REQUEST_HEADERS.includes(lower) || lower.startsWith(NODE_HEADER_PREFIX) || lower === CLIENT_IP_HEADER) continue;
      headers.append(name, value);
    }
    const length = req.headers.get('content-length');
    if (length !== null) headers.set('content-length', length);
    for (const [name, value] of Object.entries(signNodeRequest(this.p.key, req.method, pathAndQuery, this.p.selfNode()))) headers.set(name, value);
    if (clientIp) headers.set(CLIENT_IP_HEADER, clientIp);
    const hasBody = req.body !== null && req.method !== 'GET' && req.method !== 'HEAD';
    try {
      const res = await fetch(`${route.owner.baseUrl}${pathAndQuery}`, {
        method: req.method,
        headers,
        body: hasBody ? req.body : undefined,
        duplex: hasBody ? 'half' : undefined,
        redirect: 'manual',
        signal: req.signal,
        // The owner's answer passes through untouched: compressed stays compressed.
        decompress: false,
        tls: this.tlsOptions,
      } as RequestInit);
      this.reachableUntil.set(route.owner.node, performance.now() + FORWARD_REACHABLE_TTL_MS);
      const out = new Headers(res.headers);
      for (const h of HOP_RESPONSE_HEADERS) out.delete(h);
      out.set(SERVED_BY_HEADER, route.owner.node);
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
    } catch (err) {
      this.reachableUntil.delete(route.owner.node);
      this.p.directory.invalidate(route.actorId);
      throw err;
    }
  }

  /**
   * POST `body` (JSON) to `path` on the node that owns `actorId`, signed as this node: a service's word for an actor
   * another node owns (a failed login to count there). False when no other live node owns it (the caller acts here).
   */
  async tellOwner(actorId: string, path: string, body: unknown): Promise<boolean> {
    const route = await this.route(actorId);
    if (route.kind === 'local') return false;
    await this.post(route.owner.node, route.owner.baseUrl, path, body);
    return true;
  }

  /** POST `body` to `path` on node `id` (signed as this node), if it is live; false when it is not. */
  async tellNode(id: string, path: string, body: unknown): Promise<boolean> {
    const n = await this.p.directory.node(id);
    if (!n?.live) return false;
    await this.post(n.id, n.baseUrl, path, body);
    return true;
  }

  private async post(node: string, baseUrl: string, path: string, body: unknown): Promise<void> {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...signNodeRequest(this.p.key, 'POST', path, this.p.selfNode()) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TELL_OWNER_TIMEOUT_MS),
      tls: this.tlsOptions,
    } as RequestInit);
    if (!res.ok) throw new Error(`${node} answered ${res.status} to ${path}: ${(await res.text()).slice(0, TELL_OWNER_ERROR_CHARS)}`);
  }

  /** Whether the owner takes a TCP connection within FORWARD_CONNECT_TIMEOUT_MS (remembered a moment when it did). */
  private async reachable(owner: ActorOwner): Promise<boolean> {
    if ((this.reachableUntil.get(owner.node) ?? 0) > performance.now()) return true;
    const ok = await canConnect(owner.baseUrl, FORWARD_CONNECT_TIMEOUT_MS);
    if (ok) this.reachableUntil.set(owner.node, performance.now() + FORWARD_REACHABLE_TTL_MS);
    else this.reachableUntil.delete(owner.node);
    return ok;
  }
}

/** Whether a TCP connection to `baseUrl`'s host and port opens within `timeoutMs` (closed at once). */
export async function canConnect(baseUrl: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(baseUrl);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connect = Bun.connect({
    hostname,
    port,
    socket: {
      data() {},
      open(s) {
        s.end();
      },
    },
  }).then(
    (s) => {
      s.end();
      return true;
    },
    () => false,
  );
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([connect, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
