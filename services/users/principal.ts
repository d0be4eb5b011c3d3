/**
 * Who is calling the API, as the services see it: the routes authenticate a request
 * (routes/auth.ts) and hand the services this, never a Hono context.
 */

/** The caller of an API request: the admin bearer token, or a signed-in user. */
export type Principal =
  | { kind: 'admin-token'; role: 'admin' }
  | {
      kind: 'user';
      role: 'user' | 'admin';
      userId: string;
      username: string;
      /** The sign-in session's public id (not a credential) and its end, epoch ms: what signed URLs are bound to. */
      sessionId?: string;
      sessionExpiresAt?: number;
    };
