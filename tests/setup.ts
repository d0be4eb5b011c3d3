/** Preloaded once per `bun test` run: prepare the migrated PGlite template before any suite. */
import { pgliteTemplate, TEST_PG_URL } from './helpers/db.ts';

if (!TEST_PG_URL) await pgliteTemplate();
