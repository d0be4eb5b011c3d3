import { defineConfig } from 'drizzle-kit';

/** drizzle-kit generates the committed SQL migrations from db/schema.ts. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './migrations',
});
