/**
 * The hibernation server takes new links in at most HIBERNATION_CHECKS_MAX at a time, each until its pu has taken the
 * heartbeat (services/hibernation/hibernation-server.ts): a crowd of cameras reconnecting at once waits as links, not
 * as identity reads and loaded actors. Real TCP links to a real server; its platform side (the device lookup, the
 * actor host) is the test's own, so that the pu's take-in can be held and counted. End to end, with the platform's
 * own host and database: tests/e2e/hibernation.test.ts ("takes in more new links at once than it checks identities").
 */
import { afterAll, describe, expect, it } from 'bun:test';
import { HibernationLink } from '../../device/hibernation-link.ts';
import { silentLog } from '../../lib/log.ts';
import { HIBERNATION_CHECKS_MAX, HibernationServer } from '../../services/hibernation/hibernation-server.ts';
import { hbToken } from '../../services/hibernation/hb-token.ts';
import { TakeInCollector } from '../../services/hibernation/takein-gc.ts';
import { puActorId } from '../../actors/machines/ids.ts';
import { until } from '../helpers/wait.ts';

const KEY = Buffer.alloc(32, 7);
/** Cameras reconnecting at once: more than the server takes in together. */
const CROWD = HIBERNATION_CHECKS_MAX + 24;
const deviceOf = (n: number) => `CAM-TAKEIN-${n}`;
/** Take-ins between the heap collections of this server (takein-gc.ts; the platform's is HIBERNATION_TAKEIN_GC_EVERY). */
const GC_EVERY = 8;
let collected = 0;
/** The server's first-heartbeat time and sweep period here, ms: well under the time the crowd waits in line. */
const FIRST_HEARTBEAT_MS = 150;
const SWEEP_MS = 50;

/** Heartbeats the pu actors were given, each held until the test lets it commit. */
const dispatched: Array<{ actorId: string; commit: () => void }> = [];
let lookups = 0;
const server = new HibernationServer(
  {
    host: {
      send: () => {},
      dispatch: (actorId: string) => new Promise((resolve) => dispatched.push({ actorId, commit: () => resolve({} as never) })),
      holds: () => false,
      subscribe: () => () => {},
      addVolatileSource: () => {},
    } as never,
    findDevice: async (identity: string) => {
      lookups++;
      return { id: identity };
    },
    key: KEY,
    log: silentLog,
    rateLog: { warn: () => {} },
    nodeId: () => 'node-test',
    collector: new TakeInCollector({ collect: () => collected++, now: () => performance.now() }, GC_EVERY),
  },
  // A first heartbeat due soon and swept often: links that wait in line longer than that are not closed for it.
  { hostname: '127.0.0.1', port: 0, offlineAfterMs: 135_000, firstHeartbeatMs: FIRST_HEARTBEAT_MS, sweepMs: SWEEP_MS },
);
server.start();
const links: HibernationLink[] = [];
afterAll(() => {
  for (const l of links) l.close();
  server.stop();
});

describe('hibernation server: a crowd of new links', () => {
  it(`takes at most ${HIBERNATION_CHECKS_MAX} in at once, each until its pu has committed, then the next: none is lost, none closed while in line`, async () => {
    const silent = await HibernationLink.connect('127.0.0.1', server.port); // sends nothing: closed by the sweep
    links.push(silent);
    for (let n = 0; n < CROWD; n++) {
      const link = await HibernationLink.connect('127.0.0.1', server.port);
      links.push(link);
      link.heartbeat(deviceOf(n), hbToken(KEY, deviceOf(n)));
    }
    await until(
      async () => dispatched.length,
      (n) => n === HIBERNATION_CHECKS_MAX,
    );
    await Bun.sleep(4 * FIRST_HEARTBEAT_MS); // the others stay in line while none has committed, and stay open
    expect(silent.closed).toBe(true);
    expect(dispatched.length).toBe(HIBERNATION_CHECKS_MAX);
    expect(lookups).toBe(HIBERNATION_CHECKS_MAX);
    // Each commit lets one more in.
    dispatched[0]!.commit();
    await until(
      async () => dispatched.length,
      (n) => n === HIBERNATION_CHECKS_MAX + 1,
    );
    // All the rest, as they come.
    for (let done = 1; done < CROWD; done++) {
      await until(
        async () => dispatched.length,
        (n) => n > done,
      );
      dispatched[done]!.commit();
    }
    expect(lookups).toBe(CROWD);
    expect(new Set(dispatched.map((d) => d.actorId))).toEqual(new Set(Array.from({ length: CROWD }, (_, n) => puActorId(deviceOf(n)))));
    expect(links.filter((l) => l !== silent && l.closed)).toEqual([]);
    // The heap collected after each GC_EVERY take-ins (a collection that takes no time is never held back).
    await until(
      async () => collected,
      (n) => n === Math.floor(CROWD / GC_EVERY),
    );
  });
});
