/**
 * An RPC that wakes a sleeping camera, asked on a node that does not own it (issue #22 point 4 in a cluster,
 * docs/cluster.md): the node the caller reached forwards the request to the owner, and both legs stay open past the
 * server's idle timeout while the camera wakes slowly and then answers slowly. The owner raises its own request's idle
 * timeout (routes/idle-timeout.ts) and the forwarding node raises the caller's (routes/forward.ts). Two real
 * platform processes on one PostgreSQL.
 */
import { afterAll, beforeAll, describe, it, setDefaultTimeout } from 'bun:test';
import { rpcThroughSlowWake } from '../helpers/asleep.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import type { TestPlatform } from '../helpers/platform.ts';

setDefaultTimeout(90_000);

let cluster: TestCluster;

describe.skipIf(!TEST_PG_URL)('an RPC through a wake, forwarded', () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 2 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('reaches the caller of the other node after a slow wake and a slow answer, past the idle timeout', async () => {
    const [owner, other] = cluster.nodes as [TestPlatform, TestPlatform];
    const cam = { device_id: 'CAM-FWD-IDLE', password: 'cam-password-fwd', mac_id: 'a0:b1:c2:d3:e9:02' };
    await rpcThroughSlowWake(owner, other, cam, cluster.idOf(owner));
  });
});
