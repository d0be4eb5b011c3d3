/**
 * An mpegts.js player of the platform's MPEG-TS over a WebSocket in a `<video>` (the live panel, the SD-card
 * playback), started and stopped the same way by both. A player may be stopped at any moment of its start, its
 * WebSocket still connecting included: the console's bundle carries a fix to mpegts.js for that (web/mpegts-fix.ts).
 */
import type MpegtsDefault from 'mpegts.js';

export type Mpegts = typeof MpegtsDefault;
type Config = NonNullable<Parameters<Mpegts['createPlayer']>[1]>;

/** One player, from start to stop. */
export interface TsPlayer {
  readonly player: ReturnType<Mpegts['createPlayer']>;
  /** Close its WebSocket and free the element (its source is cleared). Idempotent. */
  stop(): void;
}

/** Play the MPEG-TS at `url` (a `ws:`/`wss:` URL) in `video`: live, in mpegts.js's worker, with no stash buffer. */
export function playTs(mpegts: Mpegts, video: HTMLVideoElement, url: string, config: Config): TsPlayer {
  mpegts.LoggingControl.applyConfig({ enableVerbose: false, enableDebug: false, enableInfo: false });
  const player = mpegts.createPlayer({ type: 'mpegts', isLive: true, url }, { enableWorker: true, enableStashBuffer: false, lazyLoad: false, ...config });
  player.attachMediaElement(video);
  player.load();
  void Promise.resolve(player.play()).catch(() => {}); // autoplay of muted video is allowed; the controls remain otherwise
  let stopped = false;
  return {
    player,
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        player.destroy(); // detaches the element and clears its source
      } catch {
        // already torn down by its own error
      }
    },
  };
}
