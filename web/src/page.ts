/** What every console page is given and gives back. */

/** The signed-in user. */
export interface Session {
  role: 'user' | 'admin';
  username: string;
  userId: string;
}

/** A page's inputs: the path's parameters, the session, navigation. */
export interface PageContext {
  params: string[];
  session: Session | null;
  navigate(path: string, replaceState?: boolean): void;
  /** The sign-in page reports the new session. */
  signedIn(s: Session): void;
}

/** A page renders into `root` and returns what to do when it is left (close feeds, stop timers). */
export type Page = (root: HTMLElement, ctx: PageContext) => (() => void) | undefined;
