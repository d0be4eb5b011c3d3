/**
 * Vs, the scheduling interface (H.627.2 9.3.1, I.1; NOTES 4): a provisioned device asks which
 * signalling server to use and gets the platform's clock (SyncTime, microseconds).
 */
import { Hono } from 'hono';
import type { Server } from 'bun';
import { MAC_IDENTITY_HEADER } from '../protocol/identity.ts';
import { parseVsGetServerAddr, syncTimeFromMs, VS_PATH, type VsGetServerAddrResp } from '../protocol/vs.ts';
import { puActorId } from '../actors/machines/pu.machine.ts';
import type { AppServices } from './app.ts';
import type { Budget } from '../lib/token-bucket.ts';
import { perAddress } from './rate-limit.ts';
import { deviceUnavailableHandler } from './problem.ts';
import { clientIp } from './client-ip.ts';
import { HIBERNATION_HB_INTERVAL_S } from '../protocol/hibernation.ts';

/** Fields of services this platform does not run (P2P, TURN; hibernation when not configured): empty host, port 0 (NOTES 4). */
const NOT_OFFERED = { domain: '', port: 0 } as const;

/**
 * Vs requests one address may make: 100 at once, 20 a second after that (platform's choice). A camera calls Vs at
 * start and when rescheduled (9.3.1.2); the burst lets a building's cameras behind one NAT start together.
 */
export const VS_ADDRESS_BUDGET: Budget = { ratePerS: 20, burst: 100 };

/** The Vs endpoint. */
export function vsRoutes(p: Pick<AppServices, 'devices' | 'host' | 'placement' | 'hibernation'>) {
  const limit = perAddress(VS_ADDRESS_BUDGET, (c, s) =>
    c.json({ info: `too many Vs requests from this address: retry in ${s} s` }, 429, { 'Retry-After': String(s) }),
  );
  return new Hono<{ Bindings: Server<unknown> }>().onError(deviceUnavailableHandler).get(VS_PATH, limit, async (c) => {
    const q = parseVsGetServerAddr(new URL(c.req.url).searchParams, c.req.header(MAC_IDENTITY_HEADER));
    if (!q.ok) return c.json({ info: q.error }, 400);
    const device = await p.devices.findByIdentity(q.value.macid);
    if (!device) return c.json({ info: `no device provisioned with macid ${q.value.macid}` }, 404);
    const ip = clientIp(c);
    // The node the device is to log in to (docs/cluster.md): this one, unless a cluster spreads its devices. Chosen
    // before this request is recorded: the pu's state must say whether the device had logged in before, not that it
    // just asked Vs (placement sticks only to a node the device was connected to).
    const where = await p.placement.choose(device.id);
    p.host.send(puActorId(device.id), { type: 'vs.scheduled', ...(ip ? { ip } : {}) });
    // This node's hibernation server: any node's will do, a wake reaches the node holding the link (docs/cluster.md).
    const hib = p.hibernation;
    const body: VsGetServerAddrResp = {
      PassDomain: where.host,
      P2p_passDomain: NOT_OFFERED.domain,
      TurnDomain: NOT_OFFERED.domain,
      HibernationDomain: hib ? hib.host : NOT_OFFERED.domain,
      PassPort: NOT_OFFERED.port, // plain WS is not offered: WSS only
      Secure_PassPort: where.port,
      P2p_passPort: NOT_OFFERED.port,
      TurnPort: NOT_OFFERED.port,
      SyncTime: syncTimeFromMs(Date.now()),
      HibernationPort: hib ? hib.port() : NOT_OFFERED.port,
      HibernationHBInterval: hib ? HIBERNATION_HB_INTERVAL_S : 0,
      MaxP2PSession: 0,
    };
    return c.json(body);
  });
}
