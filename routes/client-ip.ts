/**
 * The client address of a request, in one place: what Bun saw, or, for a request another node of the
 * cluster forwarded (signed, checked by `nodeForwarding`), the address that node saw.
 */
import type { Context } from 'hono';
import type { Server } from 'bun';

/** Context variable holding the client address a verified node request carried. */
export const FORWARDED_CLIENT_IP = 'forwardedClientIp';

type ClientIpEnv = { Variables: { [FORWARDED_CLIENT_IP]?: string } };

/** Record the client address a verified node request named (only `nodeForwarding` calls this). */
export function setForwardedClientIp(c: Context, ip: string | undefined): void {
  (c as unknown as Context<ClientIpEnv>).set(FORWARDED_CLIENT_IP, ip ?? '');
}

/** The client's address, or undefined when unknown. */
export function clientIp(c: Context): string | undefined {
  const forwarded = (c as unknown as Context<ClientIpEnv>).get(FORWARDED_CLIENT_IP);
  if (forwarded !== undefined) return forwarded || undefined;
  return (c.env as Server<unknown> | undefined)?.requestIP?.(c.req.raw)?.address;
}
