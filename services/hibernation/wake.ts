/**
 * The pu machine's `hibernation.wake` effect: `TOWAKEUP` on the device's hibernation link. The link is a TCP connection
 * to one node; the pu records which (its heartbeats say so). This node sends it when it holds the link, else asks the
 * node the pu names, through the cluster's node-to-node calls (docs/cluster.md), which sends it if it holds the link.
 */
import { z } from 'zod';
import type { Logger } from '../../lib/log.ts';
import { DEVICE_ID_MAX_CHARS } from '../../protocol/constants.ts';
import type { Forwarder } from '../cluster/forward.ts';
import type { HibernationServer } from './hibernation-server.ts';

/** Node-to-node path of a wake (routes/cluster.routes.ts). */
export const CLUSTER_WAKE_PATH = '/api/cluster/wake';
/** Longest link id (a UUID). */
const LINK_ID_MAX_CHARS = 64;
/** Longest node id (lib/config.ts NODE_ID_PATTERN). */
const NODE_ID_MAX_CHARS = 100;
/** Node-to-node path of a hibernation link's event for a pu another node owns (routes/cluster.routes.ts). */
export const CLUSTER_HIBERNATION_PATH = '/api/cluster/hibernation';

/** What a node holding a link tells the pu's owner: a heartbeat or the link's close, as the pu machine takes them. */
export const HibernationRelay = z.object({
  device_id: z.string().min(1).max(DEVICE_ID_MAX_CHARS),
  event: z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('hibernation.heartbeat'),
      linkId: z.string().min(1).max(LINK_ID_MAX_CHARS),
      node: z.string().min(1).max(NODE_ID_MAX_CHARS),
      offlineAfterMs: z.int().positive(),
    }),
    z.strictObject({ type: z.literal('hibernation.linkClosed'), linkId: z.string().min(1).max(LINK_ID_MAX_CHARS) }),
  ]),
});
/** A relayed hibernation event. */
export type HibernationRelay = z.infer<typeof HibernationRelay>;

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
