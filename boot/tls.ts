/**
 * The platform's TLS identity: the operator's PEM files (TLS_CERT, TLS_KEY), or a self-signed
 * certificate made once in $DATA_DIR/tls for PUBLIC_HOST, localhost and 127.0.0.1.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import type { Config } from '../lib/config.ts';
import { ConfigError } from '../lib/config.ts';

/** Validity of the generated certificate. */
export const SELF_SIGNED_VALID_DAYS = 3650;
/**
 * Curve of the generated certificate's key: ECDSA P-256 signs a TLS handshake an order of
 * magnitude faster than RSA-2048, which matters when thousands of cameras reconnect at once.
 */
export const SELF_SIGNED_CURVE = 'P-256';
/** subjectAltName entry types (RFC 5280 GeneralName): dNSName, iPAddress. */
const SAN_DNS = 2;
const SAN_IP = 7;

/** PEM certificate and key, and where they came from. */
export interface TlsMaterial {
  cert: string;
  key: string;
  certPath: string;
  generated: boolean;
}

/** Load or create the certificate the HTTPS/WSS server presents. */
export async function ensureTls(cfg: Config): Promise<TlsMaterial> {
  if (cfg.tlsCert && cfg.tlsKey) {
    return { cert: readPem(cfg.tlsCert, 'TLS_CERT'), key: readPem(cfg.tlsKey, 'TLS_KEY'), certPath: cfg.tlsCert, generated: false };
  }
  const certPath = join(cfg.tlsDir, 'cert.pem');
  const keyPath = join(cfg.tlsDir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath, generated: false };
  }
  const hosts = new Set([cfg.publicHost, 'localhost', '127.0.0.1']);
  const altNames = [...hosts].map((h) => (isIP(h) ? { type: SAN_IP, ip: h } : { type: SAN_DNS, value: h }));
  const pems = await selfsigned.generate([{ name: 'commonName', value: cfg.publicHost }], {
    keyType: 'ec',
    curve: SELF_SIGNED_CURVE,
    days: SELF_SIGNED_VALID_DAYS,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames }],
  } as never);
  mkdirSync(cfg.tlsDir, { recursive: true });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { cert: pems.cert, key: pems.private, certPath, generated: true };
}

function readPem(path: string, name: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`invalid ${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  if (!text.includes('-----BEGIN')) throw new ConfigError(`invalid ${name}: ${path} is not a PEM file`);
  return text;
}
