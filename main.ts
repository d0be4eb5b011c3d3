/**
 * h627: the H.627.2 service platform. `bun run start` runs this: configuration from the
 * environment (README, "Configuration"), one process, embedded database unless DATABASE_URL.
 */
import { type Config, ConfigError } from './lib/config.ts';
import { loadConfig } from './boot/config.ts';
import { rootLog } from './lib/log.ts';
import { runtimeEnvFor } from './lib/runtime-env.ts';
import { startPlatform } from './boot/start.ts';

/** Exit status for a configuration error. */
const EXIT_CONFIG = 2;
/** Exit status for a failure to start. */
const EXIT_START = 1;

let cfg: Config;
try {
  cfg = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`h627: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  throw err;
}

// Started without `bun run start`: it runs, but without the allocator settings it is measured with.
const missing = runtimeEnvFor();
if (Object.keys(missing).length > 0) {
  rootLog.warn(
    { missing },
    'started without the runtime settings of `bun run start` (lib/runtime-env.ts): freed memory is faulted in again on every request, which costs CPU under load',
  );
}

// Signals are taken from the start, before the ready line: a supervisor that stops the platform
// as soon as it reads that line must get a clean shutdown, never the default action of SIGTERM
// (the handlers used to be installed just after the line, and a fast enough SIGTERM won the race).
// During start-up nothing is running yet to flush: the process exits at once, as before.
let running: Awaited<ReturnType<typeof startPlatform>> | undefined;
const shutdown = (signal: string) => {
  if (!running) {
    rootLog.warn({ signal }, 'stopped during start-up');
    process.exit(EXIT_START);
  }
  rootLog.info({ signal }, 'shutting down');
  running.stop().then(
    () => process.exit(0),
    (err) => {
      rootLog.error({ err: String(err) }, 'shutdown failed');
      process.exit(EXIT_START);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

try {
  running = await startPlatform(cfg);
  // A drained node (docs/cluster.md) stops by itself once every device left it: exit 0, so a supervisor does not restart it.
  running.onNodeGone(() => shutdown('drained'));
  if (running.adminTokenGenerated) {
    process.stdout.write(`admin token (kept in ${cfg.adminTokenFile}): ${running.adminToken}\n`);
  }
  process.stdout.write(`ready ${running.url} db=${running.dbKind}\n`);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`h627: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  rootLog.fatal({ err: err instanceof Error ? err.stack : String(err) }, 'platform failed to start');
  process.exit(EXIT_START);
}
