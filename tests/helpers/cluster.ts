/**
 * A cluster for end-to-end tests (docs/cluster.md): N real platform processes (`bun main.ts`, via spawnPlatform) on
 * ONE scratch PostgreSQL database, each with its own DATA_DIR, random ports and NODE_ID `node-1`…, sharing
 * ADMIN_TOKEN, the platform key (PLATFORM_KEY_FILE) and the recording store (CS_DIR), as docs/deploy.md deploys them.
 * PostgreSQL only: the embedded database is always one node. Devices for it: tests/helpers/fleet.ts.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../db/client.ts';
import { createScratchDatabase } from '../../db/scratch.ts';
import { randomToken } from '../../lib/secrets.ts';
import { TEST_PG_URL } from './db.ts';
import { spawnPlatform, type TestPlatform } from './platform.ts';

/** Why cluster tests are skipped on the embedded database (PGlite is one process, one node). */
export const CLUSTER_SKIP_REASON = 'a cluster needs PostgreSQL: set DATABASE_URL=postgres://…';
/** Nodes a cluster starts with when not told. */
export const DEFAULT_CLUSTER_NODES = 3;
/** Random bytes of the shared admin token (32 base64url characters, over ADMIN_TOKEN's minimum of 16). */
const ADMIN_TOKEN_BYTES = 24;
/**
 * Tries of each cleanup step, and the pause between them, ms: a killed node's files and its database sessions may
 * take a moment to go on a loaded machine (CI once failed a passing suite in its cleanup, reason not kept).
 */
const CLEANUP_RETRIES = 3;
const CLEANUP_RETRY_MS = 200;

/** What a test cluster is started with. */
export interface TestClusterOptions {
  /** How many nodes start (they start together, as systemd starts them). */
  nodes?: number;
  /** Added to, or overriding, every node's environment (a shorter lease, LOG_LEVEL…). */
  env?: Record<string, string>;
}

/** A running test cluster. */
export interface TestCluster {
  /** The nodes in the order they were added, node-1 first. A node's restart() replaces its entry here. */
  nodes: TestPlatform[];
  /** The one database every node uses. */
  databaseUrl: string;
  /** The shared admin token. */
  adminToken: string;
  /** The shared temporary directory: the platform key file and CS_DIR are in it. */
  sharedDir: string;
  /** The environment every node shares (DATABASE_URL, ADMIN_TOKEN, PLATFORM_KEY_FILE, CS_DIR and `env`). */
  env: Record<string, string>;
  /** The node whose NODE_ID is `id` (its current incarnation). */
  node(id: string): TestPlatform;
  /** The NODE_ID of a node of this cluster. */
  idOf(node: TestPlatform): string;
  /** Start one more node (`node-<N+1>`); `env` adds to its environment only. */
  addNode(env?: Record<string, string>): Promise<TestPlatform>;
  /** Kill every node still running (-9), remove their data dirs, the shared dir and the database. */
  cleanup(): Promise<void>;
}

/**
 * Start a cluster of `nodes` platforms on a fresh PostgreSQL database (TEST_PG_URL's server).
 * @example
 * const cluster = await startTestCluster({ nodes: 3 })
 * await cluster.nodes[1]!.kill9(); await cluster.nodes[0]!.api('/api/admin/devices') // …
 * await cluster.cleanup()
 */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  if (!TEST_PG_URL) throw new Error(`startTestCluster: ${CLUSTER_SKIP_REASON}`);
  const count = options.nodes ?? DEFAULT_CLUSTER_NODES;
  const pg = await createScratchDatabase(TEST_PG_URL, 'h627_cluster');
  // Migrated once here: the nodes then start together without waiting for each other's migrations.
  await (await openDb({ url: pg.url })).close();
  const sharedDir = join(tmpdir(), `h627-cluster-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(join(sharedDir, 'cs'), { recursive: true });
  const adminToken = randomToken(ADMIN_TOKEN_BYTES);
  const env: Record<string, string> = {
    HTTP_PORT: '0',
    SRT_PORT: '0',
    HIBERNATION_PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: pg.url,
    ADMIN_TOKEN: adminToken,
    PLATFORM_KEY_FILE: join(sharedDir, 'secret-key'),
    CS_DIR: join(sharedDir, 'cs'),
    FILES_DIR: join(sharedDir, 'files'),
    // Each node makes its own self-signed certificate (no TLS_CERT): without this, every forward and every follow
    // of another node's console feed failed "self signed certificate" (docs/cluster.md, TLS between nodes).
    CLUSTER_TLS_INSECURE: '1',
    ...options.env,
  };
  const nodes: TestPlatform[] = [];
  const ids = new WeakMap<TestPlatform, string>();
  let added = 0;

  /** Keep `p` in the cluster as node `id`, at `slot`: its restart() puts the new incarnation there. */
  const track = (p: TestPlatform, id: string, slot: number): TestPlatform => {
    ids.set(p, id);
    nodes[slot] = p;
    const restart = p.restart;
    p.restart = async (extra) => track(await restart(extra), id, slot);
    return p;
  };

  const spawnNode = async (extra: Record<string, string> = {}): Promise<TestPlatform> => {
    added += 1;
    const id = `node-${added}`;
    const slot = added - 1;
    const dataDir = join(sharedDir, id);
    mkdirSync(dataDir, { recursive: true });
    const p = await spawnPlatform({ ...env, NODE_ID: id, ...extra, DATA_DIR: dataDir }, async () => rmSync(dataDir, { recursive: true, force: true }));
    return track(p, id, slot);
  };

  // Every step runs whatever an earlier one did; a step that still fails after its retries is named in the error.
  const cleanup = async () => {
    await Promise.all(nodes.map((n) => n.cleanup().catch(() => {})));
    const failed: string[] = [];
    try {
      rmSync(sharedDir, { recursive: true, force: true, maxRetries: CLEANUP_RETRIES, retryDelay: CLEANUP_RETRY_MS });
    } catch (err) {
      failed.push(`removing ${sharedDir}: ${err}`);
    }
    for (let attempt = 1; attempt <= CLEANUP_RETRIES; attempt++) {
      try {
        await pg.drop();
        break;
      } catch (err) {
        if (attempt === CLEANUP_RETRIES) failed.push(`dropping the cluster's database: ${err}`);
        else await Bun.sleep(CLEANUP_RETRY_MS * attempt);
      }
    }
    if (failed.length) throw new Error(`test cluster cleanup: ${failed.join('; ')}`);
  };

  const started = await Promise.allSettled(Array.from({ length: count }, () => spawnNode()));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await cleanup();
    throw (failed as PromiseRejectedResult).reason;
  }
  return {
    nodes,
    databaseUrl: pg.url,
    adminToken,
    sharedDir,
    env,
    node: (id) => {
      const found = nodes.find((n) => ids.get(n) === id);
      if (!found) throw new Error(`no node ${id} in this cluster (nodes: ${nodes.map((n) => ids.get(n)).join(', ')})`);
      return found;
    },
    idOf: (p) => ids.get(p) ?? 'unknown',
    addNode: (extra) => spawnNode(extra),
    cleanup,
  };
}
