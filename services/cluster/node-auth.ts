/**
 * Node-to-node requests (docs/cluster.md, "Any node serves any request"): a node that forwards a
 * request adds headers naming itself and the time, signed with the platform key every node shares.
 * The receiving node trusts what such a request says about its client (`x-h627-client-ip`) only
 * when the signature is valid and fresh, and never forwards it again.
 */
import { hmac, sameString } from '../../lib/secrets.ts';

/** The calling node's id. */
export const NODE_HEADER = 'x-h627-node';
/** When the calling node signed, epoch ms. */
export const NODE_TIME_HEADER = 'x-h627-node-time';
/** HMAC-SHA256 (base64url) over method, path and query, node and time (see {@link nodeSignature}). */
export const NODE_SIG_HEADER = 'x-h627-node-sig';
/** The original client's address, as the calling node saw it (trusted only under a valid signature). */
export const CLIENT_IP_HEADER = 'x-h627-client-ip';
/** Every header of the node-to-node protocol starts with this: any of them makes a request a node's. */
export const NODE_HEADER_PREFIX = 'x-h627-node';
/**
 * How far a signature's time may be from the receiver's clock, either way, ms (platform's choice): room for clock
 * skew between nodes and a slow hop, short enough that a captured request is soon worthless.
 */
export const NODE_SIGNATURE_WINDOW_MS = 30_000;
/** A node-request time: epoch ms, digits only. */
const TIME_PATTERN = /^\d{1,16}$/;

/** The signature of a node request: HMAC(key, `${method}\n${pathAndQuery}\n${node}\n${time}`). */
export function nodeSignature(key: Buffer, method: string, pathAndQuery: string, node: string, time: string): string {
  return hmac(key, `${method.toUpperCase()}\n${pathAndQuery}\n${node}\n${time}`);
}

/**
 * The headers that make a request from `node` for `method pathAndQuery` a signed node request.
 * @example fetch(url, { headers: { ...signNodeRequest(key, 'GET', '/api/devices/cam-1', 'n1') } })
 */
export function signNodeRequest(key: Buffer, method: string, pathAndQuery: string, node: string, nowMs = Date.now()): Record<string, string> {
  const time = String(Math.floor(nowMs));
  return { [NODE_HEADER]: node, [NODE_TIME_HEADER]: time, [NODE_SIG_HEADER]: nodeSignature(key, method, pathAndQuery, node, time) };
}

/** What a request's node headers say: none (a client's request), a valid node request, or a refusal and why. */
export type NodeCheck = { kind: 'none' } | { kind: 'node'; node: string; clientIp: string | undefined } | { kind: 'refused'; reason: string };

/** Whether any header of the node protocol is present (such a request must then carry a valid signature). */
export function hasNodeHeaders(headers: Headers): boolean {
  for (const name of headers.keys()) if (name.toLowerCase().startsWith(NODE_HEADER_PREFIX)) return true;
  return headers.has(CLIENT_IP_HEADER);
}

/** Check a request's node headers against the platform key, at `nowMs`. */
export function verifyNodeRequest(key: Buffer, method: string, pathAndQuery: string, headers: Headers, nowMs = Date.now()): NodeCheck {
  if (!hasNodeHeaders(headers)) return { kind: 'none' };
  const node = headers.get(NODE_HEADER);
  const time = headers.get(NODE_TIME_HEADER);
  const sig = headers.get(NODE_SIG_HEADER);
  if (!node) return { kind: 'refused', reason: `${NODE_HEADER}: missing` };
  if (!time) return { kind: 'refused', reason: `${NODE_TIME_HEADER}: missing` };
  if (!sig) return { kind: 'refused', reason: `${NODE_SIG_HEADER}: missing` };
  if (!TIME_PATTERN.test(time)) return { kind: 'refused', reason: `${NODE_TIME_HEADER}: not a time in epoch milliseconds` };
  // The signature first: a stale request says nothing about its time unless the time is the signer's.
  if (!sameString(nodeSignature(key, method, pathAndQuery, node, time), sig))
    return { kind: 'refused', reason: `${NODE_SIG_HEADER}: does not match (not signed with this cluster's platform key, or for another request)` };
  const skew = nowMs - Number(time);
  if (Math.abs(skew) > NODE_SIGNATURE_WINDOW_MS)
    return {
      kind: 'refused',
      reason: `${NODE_TIME_HEADER}: ${Math.round(skew / 1000)} s off this node's clock (more than ${NODE_SIGNATURE_WINDOW_MS / 1000} s)`,
    };
  return { kind: 'node', node, clientIp: headers.get(CLIENT_IP_HEADER) ?? undefined };
}
