/** `bun run bench <name> [--options]`: run bench/<name>.bench.ts (actors, cluster, detection, forward, hibernation, hibernation-wake, history, keepalive, live, recovery, s3-ops, vr, vr-rates). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeEnvFor } from '../lib/runtime-env.ts';

const name = process.argv[2];
const dir = import.meta.dir;
const known = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace('.bench.ts', ''));
if (!name || !existsSync(join(dir, `${name}.bench.ts`))) {
  console.error(`usage: bun run bench <${known.join('|')}> [--options]`);
  process.exit(2);
}
// The bench and every process it spawns (platform, load generators, bare servers) run with the
// platform's runtime settings, as `bun run start` does (lib/runtime-env.ts).
const proc = Bun.spawn(['bun', join(dir, `${name}.bench.ts`), ...process.argv.slice(3)], {
  stdio: ['inherit', 'inherit', 'inherit'],
  env: { ...process.env, ...runtimeEnvFor() },
});
process.exit(await proc.exited);
