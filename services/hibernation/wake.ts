/**
 * The pu machine's `hibernation.wake` effect: `TOWAKEUP` on the device's hibernation link. The link is a TCP connection
 * to one node; the pu records which (its heartbeats say so). This node sends it when it holds the link, else asks the
 * node the pu names, through the cluster's node-to-node calls (docs/cluster.md), which sends it if it holds the link.
 */
import type { Logger } from '../../lib/log.ts';
import type { Forwarder } from '../cluster/forward.ts';
import type { HibernationServer } from './hibernation-server.ts';

/** Node-to-node path of a wake (routes/cluster.routes.ts). */
export const CLUSTER_WAKE_PATH = '/api/cluster/wake';

/** What a wake needs. */
export interface WakeDeps {
  server: Pick<HibernationServer, 'wake'>;
  forward: Pick<Forwarder, 'tellNode'>;
  selfNode(): string;
  log: Logger;
}

/** Wake a device: here if this node holds its link, else through `node`. Never throws (an effect's failure is logged). */
export async function wakeDevice(p: WakeDeps, deviceId: string, node: string): Promise<void> {
  if (p.server.wake(deviceId)) return;
  if (node && node !== p.selfNode()) {
    const told = await p.forward.tellNode(node, CLUSTER_WAKE_PATH, { device_id: deviceId }).catch(() => false);
    if (told) return;
    p.log.warn({ device: deviceId, node }, 'TOWAKEUP not delivered: the node holding the hibernation link did not take it');
    return;
  }
  p.log.warn({ device: deviceId }, 'TOWAKEUP not sent: no hibernation link of the device on this node');
}
