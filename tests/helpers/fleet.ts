/**
 * A fleet of simulated cameras for a test cluster (tests/helpers/cluster.ts): provisioned through the admin API, each a
 * SimulatedDevice (device/) that asks one node's Vs where to go and logs in there, as a camera in the field does.
 * Which node each device is connected to is read from the address its last Vs answer gave it.
 */
import { SimulatedDevice, type SimulatedDeviceOptions } from '../../device/index.ts';
import { VS_ADDRESS_BUDGET } from '../../routes/vs.routes.ts';
import type { TestCluster } from './cluster.ts';
import type { TestPlatform } from './platform.ts';

/** Provisioning requests in flight at once: each costs the node an argon2id hash, and the machine has 2 cores. */
export const PROVISION_CONCURRENCY = 4;
/**
 * The share of the Vs node's per-address budget (routes/vs.routes.ts) the fleet's start takes: every device of the
 * fleet comes from 127.0.0.1, and a device refused (429) backs off for seconds (9.3.1.3). The rest is left to
 * devices asking again (a failed login, a Reschedule).
 */
export const FLEET_VS_SHARE = 0.9;
/** Slack over the paced start in waitAllOnline's default timeout: a login, GetServerInfo and the first keepalive. */
const ONLINE_SLACK_MS = 20_000;
const MS_PER_S = 1_000;
/** Hex digits of the device index in a fleet MAC (16.7 M devices per fleet). */
const MAC_INDEX_HEX_DIGITS = 6;
/** Fleets a process tells apart in their MACs (one byte of it). */
const FLEET_NUMBERS = 256;
/** Devices named in waitAllOnline's error: enough to see a pattern, short enough to read. */
const LATE_SAMPLE = 5;

/** Fleets started by this process, so two fleets on one cluster never share a MAC. */
let fleetsStarted = 0;

/** What a fleet is made of. */
export interface FleetOptions {
  /** How many devices. */
  count: number;
  /** Channels per device (provisioned and simulated), numbered 0…channels-1. */
  channels?: number;
  /** Device ids are `<prefix>-1`…; give another prefix to a second fleet on the same cluster. */
  prefix?: string;
  /** The node whose Vs the devices ask (default node-1); where they log in is Vs's answer. */
  via?: TestPlatform;
  /**
   * The node the devices are provisioned through (default `via`): it creates their pu actors, and is their first
   * writer in the event log (tests/helpers/writers.ts tells a device that moved back to its first writer from two
   * writers interleaved only if that node is the one that dies).
   */
  provisionVia?: TestPlatform;
  /** Devices started per second after the first burst (default: FLEET_VS_SHARE of the Vs budget). */
  startPerS?: number;
  /** More SimulatedDevice options (media hooks, hbOverrideS, signedLogin…). */
  device?: Partial<Omit<SimulatedDeviceOptions, 'server' | 'id' | 'password' | 'mac' | 'channels'>>;
}

/** A running fleet. */
export interface Fleet {
  devices: SimulatedDevice[];
  /** The device whose id is `id`. */
  device(id: string): SimulatedDevice;
  /** Resolve when every device is online; reject naming the ones that are not after `timeoutMs`. */
  waitAllOnline(timeoutMs?: number): Promise<void>;
  /** The NODE_ID of the node a device is logged in to, or undefined while it is not online. */
  nodeOf(id: string): string | undefined;
  /** NODE_ID → ids of the devices online there (every node of the cluster is a key, possibly with none). */
  byNode(): Map<string, string[]>;
  /** Power every device off (their connections close). */
  stop(): Promise<void>;
}

/** `count` items through `fn`, at most `limit` at once. */
async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Provision `count` devices through the admin API and start them, paced to the Vs budget.
 * @example
 * const fleet = await startFleet(cluster, { count: 30, channels: 1 })
 * await fleet.waitAllOnline(); console.log(fleet.byNode()); await fleet.stop()
 */
export async function startFleet(cluster: TestCluster, options: FleetOptions): Promise<Fleet> {
  const via = options.via ?? cluster.nodes[0]!;
  const channels = options.channels ?? 1;
  const prefix = options.prefix ?? 'CAM';
  const fleetNo = fleetsStarted++;
  const specs = Array.from({ length: options.count }, (_, i) => {
    const id = `${prefix}-${i + 1}`;
    // 02: a locally administered address; then the fleet's number and the device's index.
    const mac = `02${(fleetNo % FLEET_NUMBERS).toString(16).padStart(2, '0')}00${i.toString(16).padStart(MAC_INDEX_HEX_DIGITS, '0')}`;
    return { id, mac, password: `${id}-password` };
  });
  const channelList = Array.from({ length: channels }, (_, c) => c);
  await inPool(specs, PROVISION_CONCURRENCY, async (s) => {
    const r = await (options.provisionVia ?? via).api('/api/admin/devices', {
      method: 'POST',
      body: JSON.stringify({ device_id: s.id, password: s.password, mac_id: s.mac, channels: channelList }),
    });
    if (r.status !== 201) throw new Error(`provisioning ${s.id} answered ${r.status}: ${await r.text()}`);
  });

  const devices = specs.map(
    (s) =>
      new SimulatedDevice({ tls: { rejectUnauthorized: false }, ...options.device, server: via.url, id: s.id, password: s.password, mac: s.mac, channels }),
  );
  const byId = new Map(devices.map((d) => [d.id, d]));
  const burst = Math.floor(VS_ADDRESS_BUDGET.burst * FLEET_VS_SHARE);
  const perS = options.startPerS ?? VS_ADDRESS_BUDGET.ratePerS * FLEET_VS_SHARE;
  for (const [i, d] of devices.entries()) {
    if (i >= burst) await Bun.sleep(MS_PER_S / perS);
    await d.start();
  }
  const pacedMs = (Math.max(0, devices.length - burst) / perS) * MS_PER_S;

  const nodeOf = (id: string): string | undefined => {
    const d = byId.get(id);
    if (d?.state !== 'online' || !d.context.vd) return undefined;
    const port = d.context.vd.port;
    const node = cluster.nodes.find((n) => n.port === port);
    return node ? cluster.idOf(node) : `unknown:${port}`;
  };

  return {
    devices,
    device: (id) => {
      const d = byId.get(id);
      if (!d) throw new Error(`no device ${id} in this fleet`);
      return d;
    },
    waitAllOnline: async (timeoutMs = pacedMs + ONLINE_SLACK_MS) => {
      const results = await Promise.allSettled(devices.map((d) => d.waitFor('online', timeoutMs)));
      const late = devices.filter((_, i) => results[i]!.status === 'rejected');
      if (late.length > 0) {
        const sample = late.slice(0, LATE_SAMPLE).map((d) => `${d.id} (${d.state}: ${d.context.reason})`);
        throw new Error(`${late.length} of ${devices.length} devices not online after ${timeoutMs} ms: ${sample.join(', ')}`);
      }
    },
    nodeOf,
    byNode: () => {
      const map = new Map<string, string[]>(cluster.nodes.map((n) => [cluster.idOf(n), []]));
      for (const d of devices) {
        const node = nodeOf(d.id);
        if (node !== undefined) map.set(node, [...(map.get(node) ?? []), d.id]);
      }
      return map;
    },
    stop: async () => {
      await Promise.all(devices.map((d) => d.stop()));
    },
  };
}
