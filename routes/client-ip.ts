/**
 * Who is calling, in one place: the client address Bun saw, or, for a request another node of the
 * cluster forwarded (signed, checked by `nodeForwarding`), the node and the address that node saw.
 */
import type { Context } from 'hono';
import type { Server } from 'bun';

/** Context variables a verified node request sets. */
type NodeRequestEnv = { Variables: { nodeCaller?: { node: string; clientIp: string | undefined } } };

/** Record that the request is a verified node request (only `nodeForwarding` calls this). */
export function markNodeRequest(c: Context, node: string, clientIp: string | undefined): void {
  (c as unknown as Context<NodeRequestEnv>).set('nodeCaller', { node, clientIp });
}

/** The node a verified node request came from, or undefined for a client's request. */
export function nodeCaller(c: Context): string | undefined {
  return (c as unknown as Context<NodeRequestEnv>).get('nodeCaller')?.node;
}

/** The client's address (through a forwarding node: the address that node saw), or undefined when unknown. */
export function clientIp(c: Context): string | undefined {
  const forwarded = (c as unknown as Context<NodeRequestEnv>).get('nodeCaller');
  if (forwarded) return forwarded.clientIp;
  return (c.env as Server<unknown> | undefined)?.requestIP?.(c.req.raw)?.address;
}
