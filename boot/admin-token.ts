/** The admin API's bearer token: ADMIN_TOKEN, or one generated at first start and kept in $DATA_DIR/admin-token. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Config } from '../lib/config.ts';

/** Random bytes in a generated admin token (base64url-encoded). */
export const ADMIN_TOKEN_BYTES = 32;

/** The admin token and whether it was generated just now (then it is printed once). */
export function ensureAdminToken(cfg: Config): { token: string; generated: boolean } {
  if (cfg.adminToken) return { token: cfg.adminToken, generated: false };
  if (existsSync(cfg.adminTokenFile)) return { token: readFileSync(cfg.adminTokenFile, 'utf8').trim(), generated: false };
  const token = randomBytes(ADMIN_TOKEN_BYTES).toString('base64url');
  writeFileSync(cfg.adminTokenFile, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}
