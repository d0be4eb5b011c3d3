/**
 * `bun run replay-check`: replay every actor's event log through its machine and compare each
 * produced state with the recorded one. Reads the same configuration as the platform
 * (DATABASE_URL, or the embedded database in DATA_DIR, which must not be in use).
 * Prints one JSON line per failing actor and a summary; exits 1 if any actor fails.
 */
import { ConfigError } from '../lib/config.ts';
import { loadConfig } from '../boot/config.ts';
import { openDb } from '../db/client.ts';
import { MACHINES } from '../actors/machines/index.ts';
import { MachineRegistry } from '../actors/host/registry.ts';
import { allActorIds } from '../actors/host/store.ts';
import { replayActor } from '../actors/host/replay.ts';
import { acquireDataDirLock } from '../boot/lock.ts';

let release = () => {};
try {
  const cfg = loadConfig();
  if (!cfg.databaseUrl) release = acquireDataDirLock(cfg.dataDir);
  const db = await openDb({ url: cfg.databaseUrl, pgliteDir: cfg.pgliteDir });
  const registry = new MachineRegistry(MACHINES);
  const ids = await allActorIds(db);
  let failed = 0;
  let events = 0;
  const t0 = performance.now();
  for (const id of ids) {
    const v = await replayActor(db, registry, id);
    events += v.events;
    if (!v.ok) {
      failed++;
      console.log(JSON.stringify(v));
    }
  }
  await db.close();
  const ms = Math.round(performance.now() - t0);
  console.log(`replay-check: ${ids.length - failed} of ${ids.length} actors reproduce their history (${events} events, ${ms} ms)`);
  release();
  process.exit(failed ? 1 : 0);
} catch (err) {
  release();
  console.error(`replay-check: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : err}`);
  process.exit(2);
}
