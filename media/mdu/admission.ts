/**
 * Who may connect, on the worker: grants (single-use tokens) mirrored into the C access table, the
 * re-check and consumption after accept, and the 'rejected' reports for every refused handshake.
 */
import * as srt from '../srt/socket.ts';
import { SrtRejx, SrtSockState } from '../srt/constants.ts';
import type { AccessTable } from '../srt/acl.ts';
import { formatEndpoint, type Endpoint } from '../srt/sockaddr.ts';
import { parseStreamId, type StreamMode } from '../srt/streamid.ts';
import type { Command, Report, RejectReason } from './protocol.ts';
import type { Relay } from './relay.ts';
import { HANDSHAKE_PENDING_MAX_MS, REFUSED_CLOSE_DELAY_MS } from './constants.ts';

interface Grant {
  mode: StreamMode;
  expiresAt: number;
}

interface Pending {
  resource: string;
  mode: StreamMode | undefined;
  peer?: string;
  at: number;
}

const REASON_OF_CODE: Record<number, RejectReason> = {
  [SrtRejx.BAD_REQUEST]: 'bad-request',
  [SrtRejx.BAD_MODE]: 'bad-mode',
  [SrtRejx.FORBIDDEN]: 'forbidden',
  [SrtRejx.CONFLICT]: 'conflict',
};

const peerText = (e: Endpoint | undefined) => (e ? formatEndpoint(e) : undefined);

/** Grants, handshake outcomes and the accept-time token check. */
export class Admission {
  private readonly grants = new Map<string, Map<string, Grant>>();
  /** Sockets the C callback admitted and the worker has not accepted yet. */
  private readonly pending = new Map<number, Pending>();
  /** Sockets refused after accept, closed a moment later (see `REFUSED_CLOSE_DELAY_MS`). */
  private readonly closing = new Map<number, number>();

  constructor(
    private readonly acl: AccessTable,
    private readonly relay: Relay,
    private readonly report: (r: Report) => void,
  ) {}

  /** Add a grant to both tables (throws on a bad or duplicate one). */
  grant(cmd: Extract<Command, { type: 'grant' }>): void {
    const tokens = this.grants.get(cmd.streamId) ?? new Map<string, Grant>();
    if (tokens.has(cmd.token)) throw new Error('token already granted');
    this.acl.add({
      resource: cmd.streamId,
      token: cmd.token,
      mode: cmd.mode,
      passphrase: cmd.passphrase,
      pbkeylen: cmd.pbkeylen,
      expiresAt: cmd.expiresAt,
    });
    tokens.set(cmd.token, { mode: cmd.mode, expiresAt: cmd.expiresAt ?? 0 });
    this.grants.set(cmd.streamId, tokens);
  }

  /** Withdraw one grant or all of a stream's; returns how many were withdrawn. */
  revoke(streamId: string, token?: string): number {
    const tokens = this.grants.get(streamId);
    this.acl.remove(streamId, token);
    if (!tokens) return 0;
    if (token === undefined) {
      this.grants.delete(streamId);
      return tokens.size;
    }
    const had = tokens.delete(token);
    if (tokens.size === 0) this.grants.delete(streamId);
    return had ? 1 : 0;
  }

  /** True while `streamId` has an unused grant. */
  hasGrants(streamId: string): boolean {
    return this.grants.has(streamId);
  }

  /** Unused grants in total. */
  grantCount(): number {
    let n = 0;
    for (const t of this.grants.values()) n += t.size;
    return n;
  }

  /** No grant, no admitted handshake and no refused socket: no connection can arrive or needs looking after. */
  isEmpty(): boolean {
    return this.grants.size === 0 && this.pending.size === 0 && this.closing.size === 0;
  }

  /** Refused sockets not closed yet. */
  closingCount(): number {
    return this.closing.size;
  }

  /** Close every refused socket now (shutdown). */
  closeRefused(): void {
    for (const sock of this.closing.keys()) srt.close(sock);
    this.closing.clear();
  }

  /** Handshakes admitted but not yet accepted. */
  pendingCount(): number {
    return this.pending.size;
  }

  private reject(reason: RejectReason, code: number, fields: { streamId?: string; mode?: StreamMode; peer?: string; detail?: string }): void {
    this.report({ type: 'event', name: 'rejected', event: { ...fields, code, reason } });
  }

  /** Re-check an accepted socket's stream id and consume its token; close it when that fails. */
  accepted(sock: number, endpoint: Endpoint | undefined, now: number): void {
    this.drain(now);
    this.pending.delete(sock);
    const peer = peerText(endpoint);
    let streamId: string;
    try {
      streamId = srt.getFlag(sock, 'streamId');
      srt.setNonBlocking(sock);
    } catch (e) {
      srt.close(sock);
      return this.reject('internal', SrtRejx.ISE, { peer, detail: String(e) });
    }
    const parsed = parseStreamId(streamId);
    if (!parsed.ok) {
      srt.close(sock);
      return this.reject(REASON_OF_CODE[parsed.code] ?? 'bad-request', parsed.code, { peer, detail: parsed.why });
    }
    const { resource, mode, token } = parsed.id;
    const fields = { streamId: resource, mode, peer };
    const tokens = this.grants.get(resource);
    const grant = tokens?.get(token);
    // The C check admitted it moments ago: a missing grant means another connect consumed it first.
    if (!tokens || !grant) return this.refuse(sock, now, 'token-reused', SrtRejx.FORBIDDEN, fields);
    if (grant.mode !== mode) return this.refuse(sock, now, 'forbidden', SrtRejx.FORBIDDEN, fields);
    if (grant.expiresAt && grant.expiresAt <= Date.now()) return this.refuse(sock, now, 'expired', SrtRejx.FORBIDDEN, fields);
    if (mode === 'publish' && this.relay.isLive(resource)) return this.refuse(sock, now, 'conflict', SrtRejx.CONFLICT, fields);
    this.revoke(resource, token); // single use
    try {
      if (mode === 'publish') this.relay.addPublisher(resource, sock, token, peer);
      else this.relay.addViewer(resource, sock, token, peer);
    } catch (e) {
      srt.close(sock); // it broke between accept and here
      this.reject('internal', SrtRejx.ISE, { ...fields, detail: String(e) });
    }
  }

  private refuse(sock: number, now: number, reason: RejectReason, code: number, fields: { streamId: string; mode: StreamMode; peer?: string }): void {
    this.closing.set(sock, now + REFUSED_CLOSE_DELAY_MS);
    this.reject(reason, code, { ...fields, detail: 'closed after accept' });
  }

  /** Read the C callback's outcomes: refusals become 'rejected', admissions are tracked until accepted. */
  drain(now: number): void {
    const { events, dropped } = this.acl.drain();
    for (const e of events) {
      const peer = peerText(e.peer);
      if (e.code === 0) {
        this.pending.set(e.sock, { resource: e.resource, mode: e.mode, peer, at: now });
        continue;
      }
      const streamId = e.resource || undefined;
      this.reject(REASON_OF_CODE[e.code] ?? 'internal', e.code, { streamId, mode: e.mode, peer });
    }
    if (dropped > 0) this.report({ type: 'log', line: { level: 'warn', event: 'mdu.acl.events_dropped', count: dropped } });
  }

  /**
   * Admitted handshakes that libsrt then closed failed after the access check: a passphrase that
   * does not match or is missing (libsrt does not tell a listener which; the caller sees BADSECRET
   * or UNSECURE).
   */
  checkPending(now: number): void {
    this.drain(now);
    for (const [sock, at] of this.closing) {
      if (at > now) continue;
      srt.close(sock);
      this.closing.delete(sock);
    }
    for (const [sock, p] of this.pending) {
      const state = srt.sockState(sock);
      const failed = state >= SrtSockState.BROKEN;
      if (!failed && now - p.at < HANDSHAKE_PENDING_MAX_MS) continue;
      this.pending.delete(sock);
      if (failed)
        this.reject('handshake-failed', 0, {
          streamId: p.resource,
          mode: p.mode,
          peer: p.peer,
          detail: 'passphrase mismatch or missing',
        });
      else {
        srt.close(sock);
        this.report({ type: 'log', line: { level: 'warn', event: 'mdu.handshake.stale', streamId: p.resource } });
      }
    }
  }

  /** Drop grants whose expiry passed. */
  expire(nowWallMs: number): void {
    for (const [streamId, tokens] of this.grants) for (const [token, g] of tokens) if (g.expiresAt && g.expiresAt <= nowWallMs) this.revoke(streamId, token);
  }
}
