/** Give a user a camera as the console does (README "add a camera"): a bind code, entered on the camera (Bind, I.2.3). */
import type { SimulatedDevice } from '../../device/index.ts';
import type { TestPlatform } from './platform.ts';
import { until } from './wait.ts';

/** How long the camera's Bind takes to reach the owner of its pu actor and be seen on `node`. */
const BIND_MS = 15_000;

/**
 * Bind the online `device` to the user of `token`, asking for the code on `node` (any node of a cluster), and wait
 * until `node` shows the device to that user.
 * @example await bindTo(cluster.nodes[0]!, alice, fleet.device('CAM-3'))
 */
export async function bindTo(node: TestPlatform, token: string, device: SimulatedDevice): Promise<void> {
  const r = await node.api('/api/bind-codes', { method: 'POST', token });
  if (r.status !== 201 && r.status !== 200) throw new Error(`bind code: ${r.status} ${await r.text()}`);
  device.bind((await r.json()).bind_code);
  await until(
    async () => (await node.api(`/api/devices/${device.id}`, { token })).status,
    (s) => s === 200,
    BIND_MS,
  );
}
