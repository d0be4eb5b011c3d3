/**
 * Scheduling priority of the calling OS thread (Linux), through libc with `bun:ffi`. The relay
 * worker raises its own before libsrt starts, so that libsrt's threads, which inherit it, and the
 * relay loop are served before other work on busy cores. Why it matters: libsrt delivers every
 * packet of a connection at its latency plus the one-way delay it saw at the handshake (libsrt's
 * TSBPD time base, "RCVLATENCY + RTT0/2"); a handshake whose packet waited for a core keeps that
 * wait as extra latency for the connection's whole life.
 */
import { dlopen, FFIType, toArrayBuffer } from 'bun:ffi';

/** glibc's soname (Debian 12: glibc 2.36, which has gettid). */
const LIBC_SONAME = 'libc.so.6';
/** setpriority(2)'s `which` for one process or thread: PRIO_PROCESS (a Linux thread id is accepted). */
const PRIO_PROCESS = 0;

const { i32, u32, ptr } = FFIType;
let libc: ReturnType<typeof open> | undefined;
function open() {
  return dlopen(LIBC_SONAME, {
    gettid: { args: [], returns: i32 },
    setpriority: { args: [i32, u32, i32], returns: i32 },
    getpriority: { args: [i32, u32], returns: i32 },
    __errno_location: { args: [], returns: ptr },
  });
}

/** What became of a request to change the calling thread's nice value. */
export interface PriorityOutcome {
  tid: number;
  /** The nice value the thread has now. */
  nice: number;
  /** The errno of a refusal (EACCES or EPERM without CAP_SYS_NICE), else 0. */
  errno: number;
}

/** Set the calling thread's nice value (-20 … 19; lower is served first); a refusal is reported, not thrown. */
export function setThreadNice(nice: number): PriorityOutcome {
  libc ??= open();
  const s = libc.symbols;
  const tid = s.gettid();
  const rc = s.setpriority(PRIO_PROCESS, tid, nice);
  const errno = rc === 0 ? 0 : new Int32Array(toArrayBuffer(s.__errno_location()!, 4))[0]!;
  return { tid, nice: s.getpriority(PRIO_PROCESS, tid), errno };
}
