/**
 * `bun run bench recovery`: kill -9 a process holding N persisted actors (default 100,000), each
 * with a pending timer, then restart and measure: time until every timer is armed, the first
 * message's latency (actors rehydrate lazily, on first use), the time until every actor has
 * answered a message, and the time until the timers that fell due while the process was down
 * have fired. On PostgreSQL and PGlite.
 *
 * Options: --actors 100000 --db postgres,pglite --due-share 0.01
 */
import { join } from 'node:path';
import { ActorHost } from '../actors/host/host.ts';
import { openDb } from '../db/client.ts';
import { sentinelDef } from './sentinel.machine.ts';
import { benchDb, machineNote, parseArgs, percentile, table } from './lib.ts';

const args = parseArgs(process.argv.slice(2));
const ACTORS = Number(args.actors ?? 100_000);
const KINDS = (args.db ?? 'postgres,pglite').split(',') as Array<'postgres' | 'pglite'>;
/** Share of actors whose timer falls due while the process is down. */
const DUE_SHARE = Number(args['due-share'] ?? 0.01);
/** Their deadline (they are the last created): passes between the kill and the restart. */
const SHORT_DEADLINE_MS = 2000;
/** Everyone else's: far in the future. */
const LONG_DEADLINE_MS = 3_600_000;
/** Messages in flight while touching every actor. */
const TOUCH_CONCURRENCY = 2000;

// Child mode: create the actors, report, and wait to be killed.
if (args.child) {
  const db = await openDb(args.url ? { url: args.url } : { pgliteDir: args.dir! });
  const host = new ActorHost({ db, machines: [sentinelDef] });
  const due = Math.round(ACTORS * DUE_SHARE);
  for (let i = 0; i < ACTORS; i += 2000) {
    await Promise.all(
      Array.from({ length: Math.min(2000, ACTORS - i) }, (_, j) => {
        const n = i + j;
        return host.create('sentinel', `sentinel:${n}`, { deadlineMs: n >= ACTORS - due ? SHORT_DEADLINE_MS : LONG_DEADLINE_MS });
      }),
    );
  }
  process.stdout.write('created\n');
  await new Promise(() => {}); // until SIGKILL
}

async function run(kind: 'postgres' | 'pglite') {
  const b = await benchDb(kind, 'recovery');
  await b.db.close(); // the child owns the database until it is killed
  const child = Bun.spawn(
    [
      'bun',
      join(import.meta.dir, 'recovery.bench.ts'),
      '--child',
      '1',
      '--actors',
      String(ACTORS),
      '--due-share',
      String(DUE_SHARE),
      ...(b.url ? ['--url', b.url] : ['--dir', join(b.dir!, 'pg')]),
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  );
  const t0 = performance.now();
  for await (const chunk of child.stdout) if (new TextDecoder().decode(chunk).includes('created')) break;
  const createS = (performance.now() - t0) / 1000;
  child.kill('SIGKILL');
  await child.exited;
  await Bun.sleep(SHORT_DEADLINE_MS); // the short timers (armed at most this long ago) are now overdue

  const restart = performance.now();
  const db = await openDb(b.url ? { url: b.url, migrate: false } : { pgliteDir: join(b.dir!, 'pg'), migrate: false });
  const opened = performance.now();
  let fired = 0;
  const due = Math.round(ACTORS * DUE_SHARE);
  let allFiredAt = 0;
  const host = new ActorHost({ db, machines: [sentinelDef] });
  host.subscribe((t) => {
    if (t.logged && t.event.type.startsWith('xstate.after.') && ++fired === due) allFiredAt = performance.now();
  });
  const { timers } = await host.start();
  const armed = performance.now();
  const f0 = performance.now();
  await host.dispatch(`sentinel:${ACTORS - 1}`, { type: 'ping' });
  const first = performance.now() - f0;
  const lat: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: TOUCH_CONCURRENCY }, async () => {
      while (next < ACTORS) {
        const id = `sentinel:${next++}`;
        const t = performance.now();
        await host.dispatch(id, { type: 'ping' });
        lat.push(performance.now() - t);
      }
    }),
  );
  const answered = performance.now();
  while (fired < due && performance.now() - answered < 30_000) await Bun.sleep(10);
  await host.stop();
  await b.drop();
  return {
    db: kind,
    actors: ACTORS,
    'create s': createS,
    'db open ms': opened - restart,
    'timers armed ms': armed - restart,
    timers,
    'first msg ms': first,
    'all answered ms': answered - restart,
    'msg p99 ms': percentile(lat, 99),
    'overdue fired ms': fired === due ? allFiredAt - restart : NaN,
    overdue: `${fired}/${due}`,
  };
}

console.log(`bench recovery: ${ACTORS} actors, ${Math.round(ACTORS * DUE_SHARE)} timers overdue at restart`);
console.log(machineNote());
const rows = [];
for (const kind of KINDS) rows.push(await run(kind));
console.log(table(rows));
console.log('times from restart (database open included); actors rehydrate on their first message');
process.exit(0);
