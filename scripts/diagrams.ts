/**
 * `bun run diagrams`: write the statechart of every registered machine version to
 * docs/machines/<type>.v<version>.svg (the same SVG the console shows), and remove diagrams of
 * versions no longer registered. `bun run diagrams --check` writes nothing and exits 1 when a file
 * is missing or out of date (tests/console/diagrams.test.ts runs the same check).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MACHINES } from '../actors/machines/index.ts';
import { diagramFileName, machineSvg } from '../services/console/diagrams.ts';

/** Where the diagrams live. */
export const DIAGRAM_DIR = join(import.meta.dir, '..', 'docs', 'machines');

/** What is stale: files to write (name → SVG) and files to remove. */
export async function diagramDrift(dir = DIAGRAM_DIR): Promise<{ write: Map<string, string>; remove: string[] }> {
  const want = new Map<string, string>();
  for (const def of MACHINES) want.set(diagramFileName(def), await machineSvg(def));
  const write = new Map([...want].filter(([name, svg]) => !existsSync(join(dir, name)) || readFileSync(join(dir, name), 'utf8') !== svg));
  const have = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.svg')) : [];
  return { write, remove: have.filter((f) => !want.has(f)) };
}

if (import.meta.main) {
  const check = process.argv.includes('--check');
  const drift = await diagramDrift();
  const stale = [...drift.write.keys(), ...drift.remove];
  if (check) {
    console.log(stale.length ? `diagrams: out of date: ${stale.join(', ')} (run bun run diagrams)` : 'diagrams: up to date');
    process.exit(stale.length ? 1 : 0);
  }
  mkdirSync(DIAGRAM_DIR, { recursive: true });
  for (const [name, svg] of drift.write) writeFileSync(join(DIAGRAM_DIR, name), svg);
  for (const name of drift.remove) rmSync(join(DIAGRAM_DIR, name));
  console.log(`diagrams: ${drift.write.size} written, ${drift.remove.length} removed, ${MACHINES.length - drift.write.size} unchanged`);
  process.exit(0); // elkjs keeps a timer alive
}
