/**
 * Tunables of the MDU relay, with units and why. Options of `Mdu.start` default to these.
 */
import { SRT_LIVE_PAYLOAD_BYTES } from '../srt/constants.ts';

/** Longest wait in srt_epoll_uwait: bounds how late the worker reads a command or flushes a batch when idle. */
export const POLL_TIMEOUT_MS = 5;

/**
 * Period of the idle loop, when the relay holds no media socket (mdu.worker.ts): how late the first connection of an
 * idle relay is accepted at most (libsrt completes its handshake meanwhile; its packets wait in libsrt's buffer, well
 * within the SRT latency). Commands do not wait for it: each one wakes the loop.
 */
export const IDLE_POLL_TIMEOUT_MS = 25;

/** Socket events taken per wake: enough for every socket of a busy relay at once. */
export const EPOLL_MAX_EVENTS = 512;

/**
 * Nice value the relay worker gives its own thread before libsrt starts, so libsrt's threads
 * (which inherit it) and the relay loop are served before the rest of the platform on busy cores:
 * a handshake that waits for a core keeps the wait as latency for the connection's life
 * (media/srt/priority.ts). Needs CAP_SYS_NICE (root, or systemd's `Nice=`/`AmbientCapabilities=`);
 * without it the worker logs the refusal and relays at the normal priority.
 */
export const MDU_THREAD_NICE = -10;

/** Handshakes libsrt may queue before the worker accepts them (a burst of cameras reconnecting). */
export const LISTEN_BACKLOG = 128;

/** SRT latency when the caller gives none: libsrt's own live default (srt.h `SRT_LIVE_DEF_LATENCY_MS`). */
export const DEFAULT_LATENCY_MS = 120;

/** A publisher with no packet for this long is cut off ('silent'): cameras send several packets per second. */
export const PUBLISH_SILENCE_TIMEOUT_MS = 5_000;

/** Per SRT viewer queue when libsrt's send buffer is full: ~4 s at 2 Mbit/s; more and the viewer is dropped. */
export const VIEWER_QUEUE_MAX_BYTES = SRT_LIVE_PAYLOAD_BYTES * 800;

/** Per main-thread subscriber backlog (chunks refused with `false`): ~4 s at 2 Mbit/s, then it is dropped. */
export const SUBSCRIBER_QUEUE_MAX_BYTES = 1 << 20;

/** How often a backpressured subscriber is offered its backlog again. */
export const SUBSCRIBER_RETRY_MS = 20;

/** Largest batch of TS data posted to the main thread at once (whole packets: 348 × 188). */
export const SUBSCRIBER_BATCH_MAX_BYTES = 188 * 348;

/**
 * Oldest data a batch may hold before it is posted: caps added latency for WebSocket viewers. At
 * 10 ms, `bench live` measured WSS viewers' added p99 at 27 ms with 50 streams (SRT viewers: 17 ms);
 * a 2 Mbit/s stream brings a message every 5 ms, so 2 ms still merges what arrives together.
 */
export const SUBSCRIBER_BATCH_MAX_DELAY_MS = 2;

/** Keyframe cache bound per stream: a 4 s GOP at 8 Mbit/s; a longer GOP disables the cache until the next keyframe. */
export const KEYFRAME_CACHE_MAX_BYTES = 4 << 20;

/** Initial keyframe cache size; a 1 s GOP at 2 Mbit/s fits without growing. */
export const KEYFRAME_CACHE_INITIAL_BYTES = 256 << 10;

/** Period of the 'stats' event and of `stats()` refreshes. */
export const STATS_INTERVAL_MS = 1_000;

/** Period of silence checks, handshake bookkeeping and token expiry. */
export const HOUSEKEEPING_INTERVAL_MS = 100;

/** An admitted handshake not accepted by then is forgotten (libsrt normally settles it within one RTT). */
export const HANDSHAKE_PENDING_MAX_MS = 10_000;

/**
 * A socket refused after accept (token already consumed) is closed this much later: libsrt drops a
 * shutdown that reaches a caller still finishing its handshake, which then waits out the 5 s peer-idle timeout.
 */
export const REFUSED_CLOSE_DELAY_MS = 50;

/** libsrt's own stderr log level (syslog numbers): critical only, the MDU logs structured lines itself. */
export const SRT_LOG_LEVEL = 2;

/**
 * The listener closes after this long with nothing granted, admitted or connected, and opens again at the next grant
 * (mdu.worker.ts, "Dormant listener"): libsrt's receive thread then stops waking every 10 ms. A minute, so that a
 * viewer's quick second look does not reopen it (platform's choice; SRT_LISTENER_DORMANT_S, 0 keeps it open).
 */
export const LISTENER_DORMANT_AFTER_MS = 60_000;
