/**
 * The raw libsrt symbols through `bun:ffi`. Only the binding (`socket.ts`) and the relay's hot loop
 * use these directly; everything else goes through the typed wrappers.
 */
import { dlopen, FFIType } from 'bun:ffi';

/** Soname of the reference library (Debian `libsrt1.5-openssl`). */
export const LIBSRT_SONAME = 'libsrt.so.1.5';

const { i32, i64, ptr, cstring, u32 } = FFIType;

const symbols = {
  srt_startup: { args: [], returns: i32 },
  srt_cleanup: { args: [], returns: i32 },
  srt_getversion: { args: [], returns: u32 },
  srt_create_socket: { args: [], returns: i32 },
  srt_bind: { args: [i32, ptr, i32], returns: i32 },
  srt_listen: { args: [i32, i32], returns: i32 },
  srt_accept: { args: [i32, ptr, ptr], returns: i32 },
  srt_connect: { args: [i32, ptr, i32], returns: i32 },
  srt_close: { args: [i32], returns: i32 },
  srt_getsockname: { args: [i32, ptr, ptr], returns: i32 },
  srt_getpeername: { args: [i32, ptr, ptr], returns: i32 },
  srt_getsockflag: { args: [i32, i32, ptr, ptr], returns: i32 },
  srt_setsockflag: { args: [i32, i32, ptr, i32], returns: i32 },
  srt_getsockstate: { args: [i32], returns: i32 },
  srt_sendmsg: { args: [i32, ptr, i32, i32, i32], returns: i32 },
  srt_recvmsg: { args: [i32, ptr, i32], returns: i32 },
  srt_getlasterror: { args: [ptr], returns: i32 },
  srt_getlasterror_str: { args: [], returns: cstring },
  srt_clearlasterror: { args: [], returns: FFIType.void },
  srt_bstats: { args: [i32, ptr, i32], returns: i32 },
  srt_epoll_create: { args: [], returns: i32 },
  srt_epoll_add_usock: { args: [i32, i32, ptr], returns: i32 },
  srt_epoll_update_usock: { args: [i32, i32, ptr], returns: i32 },
  srt_epoll_remove_usock: { args: [i32, i32], returns: i32 },
  srt_epoll_uwait: { args: [i32, ptr, i32, i64], returns: i32 },
  srt_epoll_set: { args: [i32, i32], returns: i32 },
  srt_epoll_release: { args: [i32], returns: i32 },
  srt_getrejectreason: { args: [i32], returns: i32 },
  srt_rejectreason_str: { args: [i32], returns: cstring },
  srt_setloglevel: { args: [i32], returns: FFIType.void },
} as const;

type SrtLib = ReturnType<typeof dlopen<typeof symbols>>;

let lib: SrtLib | undefined;

/** The libsrt symbols, opened on first use in the calling thread (each Worker opens its own handle). */
export function srtLib(): SrtLib['symbols'] {
  lib ??= dlopen(LIBSRT_SONAME, symbols);
  return lib.symbols;
}
