/**
 * File names the platform makes from ids (a device id, a kind), and the check that a path stays under its root.
 * No file name is ever taken from input as it came: ids are encoded into one safe path segment, and every path is
 * resolved and checked to be inside its root before it is used (issue #19, "Paths").
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A path that would leave its root. */
export class PathEscapeError extends Error {
  constructor(
    readonly root: string,
    readonly path: string,
  ) {
    super('path outside its root');
    this.name = 'PathEscapeError';
  }
}

/** Characters kept as they are in a path segment; every other one becomes `~hh` (its char code in hex). */
const SEGMENT_SAFE = /[^A-Za-z0-9_-]/g;

/**
 * One path segment that names `id` and can be nothing else: `[A-Za-z0-9_-]` kept, any other character written as
 * `~hh` (so `~` too, and no two ids share a segment); never empty, never `.` or `..`, never a separator.
 * @example safeSegment('../x') // '~2e~2e~2fx'
 */
export function safeSegment(id: string): string {
  const out = id.replace(SEGMENT_SAFE, (ch) => `~${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return out === '' ? '~' : out;
}

/** Whether `path`, resolved, is `root` itself or lies inside it. */
export function isUnder(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * `root` joined with `segments`, checked: each segment must be one plain name (no separator, NUL, `.` or `..`) and
 * the result must resolve inside `root`; a {@link PathEscapeError} otherwise.
 * @example pathUnder('/data/files', 'log', safeSegment(deviceId), `${randomUUID()}.log`)
 */
export function pathUnder(root: string, ...segments: string[]): string {
  const base = resolve(root);
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) throw new PathEscapeError(base, s);
  }
  const path = resolve(base, ...segments);
  if (!isUnder(base, path) || path === base) throw new PathEscapeError(base, path);
  return path;
}
