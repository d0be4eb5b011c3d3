/**
 * JS side of the handshake-time access check: compiles `acl.c` with bun:ffi's `cc` (TinyCC, headers
 * from Debian `libsrt-openssl-dev`) and wraps its table. Use it in the thread that owns the listener.
 */
import { cc, FFIType, type Pointer } from 'bun:ffi';
import { fileURLToPath } from 'node:url';
import { decodeSockaddr, type Endpoint } from './sockaddr.ts';
import { SRT_PASSPHRASE_MAX_CHARS, SRT_PASSPHRASE_MIN_CHARS, type SrtKeyLength } from './constants.ts';
import { ACCESS_ID_FIELD_MAX_BYTES, type StreamMode } from './streamid.ts';

/** Entries a table holds (publisher and viewer tokens not yet used); a full table refuses grants. */
export const ACL_DEFAULT_CAPACITY = 4096;

// Layout of `acl_event` in acl.c.
const ACL_EVENT_BYTES = 176;
const ACL_EVENT_PEER_OFFSET = 16;
const ACL_EVENT_RESOURCE_OFFSET = 44;
const ACL_ID_BYTES = ACCESS_ID_FIELD_MAX_BYTES + 1;
/** Events copied per drain call; the C ring holds 256. */
const ACL_DRAIN_BATCH = 64;

const MODE_CODE: Record<StreamMode, number> = { request: 1, publish: 2 };
const CODE_MODE: Record<number, StreamMode> = { 1: 'request', 2: 'publish' };

const { i32, ptr, f64 } = FFIType;
const symbols = {
  acl_event_size: { args: [], returns: i32 },
  acl_new: { args: [i32], returns: ptr },
  acl_free: { args: [ptr], returns: FFIType.void },
  acl_add: { args: [ptr, ptr, ptr, i32, ptr, i32, f64], returns: i32 },
  acl_remove: { args: [ptr, ptr, ptr], returns: i32 },
  acl_set_live: { args: [ptr, ptr, i32], returns: i32 },
  acl_check: { args: [ptr, ptr], returns: i32 },
  acl_drain: { args: [ptr, ptr, i32], returns: i32 },
  acl_dropped: { args: [ptr], returns: i32 },
  acl_install: { args: [i32, ptr], returns: i32 },
} as const;

/**
 * Compilations of acl.c tried before giving up. Bun's `cc` writes TinyCC's own headers into one directory of the
 * machine's temporary directory at every compilation (`bun-cc`), so processes compiling at the same moment (the nodes
 * of `bun run cluster`, a test's platforms) can read one another's half-written header and fail ("invalid type" in a
 * system header, seen in CI); the next try reads it whole.
 */
const ACL_COMPILE_ATTEMPTS = 5;
/** Wait before the next try, times the try's number, plus as much again at random (processes that met do not meet again). */
const ACL_COMPILE_RETRY_MS = 50;

let compiled: ReturnType<typeof cc<typeof symbols>> | undefined;

/** acl.c compiled (see ACL_COMPILE_ATTEMPTS); the last try's error if none succeeds. */
function compile(): ReturnType<typeof cc<typeof symbols>> {
  const source = fileURLToPath(new URL('./acl.c', import.meta.url));
  for (let attempt = 1; ; attempt++) {
    try {
      return cc({ source, library: ['srt'], symbols });
    } catch (err) {
      if (attempt >= ACL_COMPILE_ATTEMPTS) throw err;
      // Synchronous: this runs once per thread, as the relay's listener starts (its worker has nothing else to do yet).
      Bun.sleepSync(ACL_COMPILE_RETRY_MS * attempt * (1 + Math.random()));
    }
  }
}

function lib() {
  if (!compiled) {
    compiled = compile();
    const size = compiled.symbols.acl_event_size();
    if (size !== ACL_EVENT_BYTES) throw new Error(`acl_event is ${size} bytes, expected ${ACL_EVENT_BYTES}`);
  }
  return compiled.symbols;
}

/** A grant the listener admits at handshake time. */
export interface AclGrant {
  resource: string;
  token: string;
  mode: StreamMode;
  /** Passphrase set on the accepted socket; none = unencrypted stream. */
  passphrase?: string;
  pbkeylen?: SrtKeyLength;
  /** Wall-clock ms after which the grant no longer admits anyone (0 or absent: never). */
  expiresAt?: number;
}

/** One handshake outcome recorded by the C callback (`code` 0 = admitted by the access check). */
export interface AclEvent {
  sock: number;
  code: number;
  mode: StreamMode | undefined;
  resource: string;
  peer: Endpoint | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const cstr = (s: string) => encoder.encode(`${s}\0`);

/** Check a resource or token: non-empty, short enough, nothing the stream id syntax would split. */
export function validAccessField(s: string): boolean {
  return s.length > 0 && encoder.encode(s).length <= ACCESS_ID_FIELD_MAX_BYTES && !/[,\0]/.test(s);
}

/** The table the C listen callback consults; add/remove are safe while libsrt runs. */
export class AccessTable {
  private table: Pointer | null;
  private readonly drainBuf = new Uint8Array(ACL_EVENT_BYTES * ACL_DRAIN_BATCH);
  private readonly drainView = new DataView(this.drainBuf.buffer);

  private constructor(table: Pointer) {
    this.table = table;
  }

  /** Allocate a table (compiles `acl.c` on first use in this thread). */
  static create(capacity = ACL_DEFAULT_CAPACITY): AccessTable {
    const t = lib().acl_new(capacity);
    if (!t) throw new Error('acl_new: out of memory');
    return new AccessTable(t as Pointer);
  }

  private get ptr(): Pointer {
    if (!this.table) throw new Error('access table freed');
    return this.table;
  }

  /** Admit `grant` at handshake time; throws on a bad field or a full table. */
  add(grant: AclGrant): void {
    const pass = grant.passphrase ?? '';
    if (!validAccessField(grant.resource) || !validAccessField(grant.token)) throw new RangeError('bad resource or token');
    if (pass && (pass.length < SRT_PASSPHRASE_MIN_CHARS || pass.length > SRT_PASSPHRASE_MAX_CHARS))
      throw new RangeError(`passphrase must be ${SRT_PASSPHRASE_MIN_CHARS}..${SRT_PASSPHRASE_MAX_CHARS} characters`);
    const passBytes = cstr(pass);
    const rc = lib().acl_add(this.ptr, cstr(grant.resource), cstr(grant.token), MODE_CODE[grant.mode], passBytes, grant.pbkeylen ?? 0, grant.expiresAt ?? 0);
    passBytes.fill(0);
    if (rc === -1) throw new Error('access table full');
    if (rc !== 0) throw new RangeError('bad grant');
  }

  /** Withdraw one grant, or every grant of `resource` when `token` is omitted; returns how many. */
  remove(resource: string, token = ''): number {
    return lib().acl_remove(this.ptr, cstr(resource), cstr(token));
  }

  /** Mark `resource` as published (a second publisher is then refused with 409) or not. */
  setLive(resource: string, live: boolean): void {
    if (lib().acl_set_live(this.ptr, cstr(resource), live ? 1 : 0) !== 0) throw new Error('live set full');
  }

  /** The C decision for `streamId`: 0 admit, else the `SRT_REJX_*` code (no socket needed). */
  check(streamId: string): number {
    return lib().acl_check(this.ptr, cstr(streamId));
  }

  /** Install the C callback on a listening socket. */
  install(listener: number): void {
    if (lib().acl_install(listener, this.ptr) !== 0) throw new Error('srt_listen_callback failed');
  }

  /** Handshake outcomes since the last call, oldest first, and how many were lost to a full ring. */
  drain(): { events: AclEvent[]; dropped: number } {
    const events: AclEvent[] = [];
    for (;;) {
      const n = lib().acl_drain(this.ptr, this.drainBuf, ACL_DRAIN_BATCH);
      for (let i = 0; i < n; i++) events.push(this.readEvent(i * ACL_EVENT_BYTES));
      if (n < ACL_DRAIN_BATCH) break;
    }
    return { events, dropped: events.length ? lib().acl_dropped(this.ptr) : 0 };
  }

  private readEvent(off: number): AclEvent {
    const v = this.drainView;
    const peerLen = v.getInt32(off + 12, true);
    const res = this.drainBuf.subarray(off + ACL_EVENT_RESOURCE_OFFSET, off + ACL_EVENT_RESOURCE_OFFSET + ACL_ID_BYTES);
    const end = res.indexOf(0);
    return {
      sock: v.getInt32(off, true),
      code: v.getInt32(off + 4, true),
      mode: CODE_MODE[v.getInt32(off + 8, true)],
      resource: decoder.decode(res.subarray(0, end < 0 ? res.length : end)),
      peer: peerLen ? decodeSockaddr(this.drainBuf.subarray(off + ACL_EVENT_PEER_OFFSET, off + ACL_EVENT_PEER_OFFSET + peerLen)) : undefined,
    };
  }

  /** Free the table; only after the listener is closed (libsrt may call back until then). */
  free(): void {
    if (this.table) lib().acl_free(this.table);
    this.table = null;
  }
}
