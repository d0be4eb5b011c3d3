/** Preloaded once per `bun test` run: prepare the migrated PGlite template before any suite. */
import { pgliteTemplate, TEST_PG_URL } from './helpers/db.ts';

if (!TEST_PG_URL) await pgliteTemplate();

/**
 * TEST_CS_BACKEND=s3: every platform the run starts stores segments in one throw-away S3 store
 * (scripts/s3-server.ts; platforms inherit the S3_* settings from this process), stopped at the end.
 */
if (process.env.TEST_CS_BACKEND === 's3' && !process.env.CS_BACKEND) {
  const { afterAll } = await import('bun:test');
  const { startS3Server } = await import('../scripts/s3-server.ts');
  const s3 = await startS3Server();
  Object.assign(process.env, s3.env);
  afterAll(() => s3.stop());
}
