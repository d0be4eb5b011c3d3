/** Throw-away PostgreSQL databases on a server (tests and benchmarks each get their own). */
import { pgClient } from './client.ts';

/** A created database and how to drop it. */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Create an empty database named `<prefix>_<pid>_<time>_<random>` on the server of `serverUrl`. */
export async function createScratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = pgClient(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = pgClient(serverUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
