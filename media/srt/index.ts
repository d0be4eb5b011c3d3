/** Typed libsrt binding through bun:ffi (see socket.ts), access control and the caller client. */
export * from './constants.ts';
export * from './socket.ts';
export * from './stats.ts';
export * from './sockaddr.ts';
export * from './streamid.ts';
export { AccessTable, ACL_DEFAULT_CAPACITY, type AclGrant, type AclEvent } from './acl.ts';
export { SrtCaller, type CallerOptions } from './caller.ts';
