/**
 * `bun run bench history`: bytes of event log per PU per day at a 10 s keepalive. N PUs live one
 * simulated day through the real pu machine and the real host (SimulatedClock: a day takes
 * seconds), in two profiles: quiet (only keepalives) and busy (an alarm flag toggling every hour,
 * a reconnect every 6 hours, a few commands a day). Reports log rows and bytes per PU per day,
 * beside what logging every keepalive would have cost.
 *
 * Options: --pus 200 --db postgres|pglite
 */
import { sql } from 'drizzle-orm';
import { SimulatedClock } from 'xstate';
import { ActorHost } from '../actors/host/host.ts';
import { MACHINES } from '../actors/machines/index.ts';
import { puActorId } from '../actors/machines/pu.machine.ts';
import { HB_INTERVAL_DEFAULT_S } from '../protocol/constants.ts';
import { benchDb, machineNote, parseArgs, table } from './lib.ts';

const args = parseArgs(process.argv.slice(2));
const PUS = Number(args.pus ?? 200);
const KIND = (args.db ?? 'postgres') as 'postgres' | 'pglite';
const DAY_MS = 24 * 3600_000;
const HB_MS = HB_INTERVAL_DEFAULT_S * 1000;
/** Busy profile: alarm flag toggles, reconnects and commands per day. */
const ALARM_EVERY_MS = 3600_000;
const RECONNECT_EVERY_MS = 6 * 3600_000;
const COMMANDS_PER_DAY = 4;

async function run(busy: boolean) {
  const b = await benchDb(KIND, busy ? 'hist_busy' : 'hist_quiet');
  const clock = new SimulatedClock();
  const t0 = Date.UTC(2026, 0, 1);
  clock.set(t0);
  const host = new ActorHost({ db: b.db, machines: MACHINES, clock, effects: { 'vd.send': () => {}, 'vd.close': () => {} } });
  const ids = Array.from({ length: PUS }, (_, i) => `HIST-${i}`);
  await Promise.all(ids.map((id) => host.create('pu', puActorId(id), { deviceId: id, macId: 'a0b1c2d3e4f5', channels: [0] }, { deviceId: id })));
  const sendAll = (mk: (id: string) => Record<string, unknown> & { type: string }) => Promise.all(ids.map((id) => host.dispatch(puActorId(id), mk(id))));
  await sendAll(() => ({ type: 'vs.scheduled', ip: '10.0.0.1' }));
  let conn = 0;
  await sendAll(() => ({ type: 'vd.connected', connId: `c${conn}`, reconnect: false, hardwareModel: 'HW', firmwareModel: 'FW' }));
  await sendAll(() => ({ type: 'vd.serverInfo', hbIntervalS: HB_INTERVAL_DEFAULT_S, state: 1 }));
  await host.flush();
  const [before] = await b.db.rows<{ n: number; bytes: number }>(
    sql`SELECT count(*)::int AS n, coalesce(sum(pg_column_size(e.*)), 0)::float8 AS bytes FROM actor_events e`,
  );
  let keepalives = 0;
  for (let t = HB_MS; t <= DAY_MS; t += HB_MS) {
    clock.increment(HB_MS);
    const alarm = busy && Math.floor(t / ALARM_EVERY_MS) % 2 === 1 ? 1 << 3 : 0;
    if (busy && t % RECONNECT_EVERY_MS === 0) {
      await sendAll(() => ({ type: 'vd.disconnected', connId: `c${conn}`, code: 1006, reason: 'network' }));
      conn++;
      await sendAll(() => ({ type: 'vd.connected', connId: `c${conn}`, reconnect: true, hardwareModel: 'HW', firmwareModel: 'FW' }));
    }
    if (busy && t % (DAY_MS / COMMANDS_PER_DAY) === 0) {
      await sendAll(() => ({ type: 'cmd.request', reqId: `r${t}`, name: 'DevStatus' }));
      await sendAll(() => ({ type: 'cmd.result', reqId: `r${t}`, name: 'DevStatus', ok: true, resp: { battery: 90 } }));
    }
    await sendAll(() => ({ type: 'vd.keepalive', state: 1, channels: [{ channel: 0, state: 1, alarm }] }));
    keepalives += PUS;
  }
  await host.stop();
  const [after] = await b.db.rows<{ n: number; bytes: number }>(
    sql`SELECT count(*)::int AS n, coalesce(sum(pg_column_size(e.*)), 0)::float8 AS bytes FROM actor_events e`,
  );
  const [rel] = await b.db.rows<{ bytes: number }>(sql`SELECT pg_total_relation_size('actor_events')::float8 AS bytes`);
  const [offline] = await b.db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM actors WHERE state_key = 'offline'`);
  await b.drop();
  const rows = (after!.n - before!.n) / PUS;
  const bytes = (after!.bytes - before!.bytes) / PUS;
  const perRow = (after!.bytes - before!.bytes) / Math.max(1, after!.n - before!.n);
  return {
    profile: busy ? 'busy' : 'quiet',
    'keepalives/PU/day': keepalives / PUS,
    'log rows/PU/day': rows,
    'row bytes/PU/day': Math.round(bytes),
    'table+index bytes/PU': Math.round(rel!.bytes / PUS),
    'if every keepalive were a row': Math.round((keepalives / PUS) * perRow),
    'went offline': offline!.n,
  };
}

console.log(`bench history: ${PUS} PUs, one simulated day at a ${HB_INTERVAL_DEFAULT_S} s keepalive, on ${KIND}`);
console.log(machineNote());
const results = [await run(false), await run(true)];
console.log(table(results));
console.log('keepalives that change nothing but the last-seen time are not rows: they move the last-seen time in the snapshot');
console.log('(stored at most once a minute; the lazy heartbeat timer re-arms itself from it); only changes of state, channels, alarms,');
console.log('connections and commands are logged. table+index bytes include the whole day of the PU (init and login rows too).');
process.exit(0);
