/** One platform process per DATA_DIR: embedded PGlite must never be opened twice. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lib/config.ts';

/** Take $DATA_DIR/platform.pid, or fail naming the process that holds it. Returns the release. */
export function acquireDataDirLock(dataDir: string): () => void {
  const file = join(dataDir, 'platform.pid');
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new ConfigError(`invalid DATA_DIR: ${dataDir} is in use by process ${holder}`);
    }
    writeFileSync(file, String(process.pid)); // a stale lock left by a crash
  }
  return () => rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
