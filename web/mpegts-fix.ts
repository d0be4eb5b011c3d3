/**
 * One fix to mpegts.js (1.8.2, the version in the lockfile), made as the console is bundled (web/build.ts).
 *
 * Destroying a player while its WebSocket is still connecting makes mpegts.js throw an uncaught RuntimeException in
 * its worker (xqq/mpegts.js#197, open upstream): closing a connecting socket fires its `error` event, which reaches
 * a loader whose callbacks destroy has already removed, and the loader throws for want of one. The live grid does
 * exactly this when a tile leaves the screen as it starts, and so does Stop pressed just after Start. The loader
 * already ignores the `close` event of a socket it aborted (`_requestAbort`); the fix makes it ignore that socket's
 * `error` event too. The worker runs the same module text (mpegts.js builds it from its bundled modules), so one
 * change covers both. If mpegts.js changes this code, the console's build fails here instead of losing the fix.
 */
import type { BunPlugin } from 'bun';

/** The WebSocket loader's error handler as mpegts.js's dist file has it, and with the fix. */
const HANDLER = '_onWebSocketError=function(e){this._status=';
const FIXED = '_onWebSocketError=function(e){if(this._requestAbort)return;this._status=';

/** The Bun bundler plugin that applies the fix to mpegts.js's dist file. */
export const mpegtsAbortFix: BunPlugin = {
  name: 'mpegts.js: ignore the error event of an aborted WebSocket',
  setup(build) {
    build.onLoad({ filter: /[\\/]mpegts\.js[\\/]dist[\\/]mpegts\.js$/ }, async (args) => {
      const parts = (await Bun.file(args.path).text()).split(HANDLER);
      if (parts.length !== 2)
        throw new Error(`${args.path}: the WebSocket loader's error handler was not found once; update web/mpegts-fix.ts for this mpegts.js`);
      return { contents: parts.join(FIXED), loader: 'js' };
    });
  },
};
