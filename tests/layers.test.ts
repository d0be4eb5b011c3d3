/**
 * The direction of dependencies (STYLE.md, issue #20 point 5), read off the import statements of every .ts file:
 * routes at the top, then services, actors and protocol, lib at the bottom. A new import that points the wrong way
 * fails here with the file and what it imports.
 */
import { describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = join(import.meta.dir, '..');
/** Folders that are not the project's own sources. */
const SKIPPED = new Set(['node_modules', '.git', 'data']);
/** The specifier of every static import, re-export, side-effect import and dynamic import. */
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every .ts file under the root, as a path relative to it with `/` separators. */
function sources(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIPPED.has(e.name) ? [] : sources(join(dir, e.name));
    return e.name.endsWith('.ts') ? [relative(ROOT, join(dir, e.name)).split('\\').join('/')] : [];
  });
}

/** What a file imports: project paths (relative to the root) for relative specifiers, the bare name otherwise. */
function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    out.push(
      spec.startsWith('.')
        ? normalize(join(dirname(file), spec))
            .split('\\')
            .join('/')
        : spec,
    );
  }
  return out;
}

const GRAPH = sources().map((file) => ({ file, imports: importsOf(file, readFileSync(join(ROOT, file), 'utf8')) }));

const under = (path: string, ...tops: string[]) => tops.some((t) => path === t || path.startsWith(`${t}/`));

/** The imports that break a rule: `file → import`. */
function violations(applies: (file: string) => boolean, forbidden: (imp: string) => boolean): string[] {
  return GRAPH.filter((g) => applies(g.file)).flatMap((g) => g.imports.filter(forbidden).map((imp) => `${g.file} → ${imp}`));
}

describe('the layers', () => {
  it('reads the imports of every source file', () => {
    // Not vacuous: the composition root is found importing the routes, and a route importing a service.
    const edges = GRAPH.flatMap((g) => g.imports.map((i) => `${g.file} → ${i}`));
    expect(edges).toContain('boot/start.ts → routes/app.ts');
    expect(edges).toContain('routes/devices.routes.ts → protocol/api.ts');
    expect(importsOf('a/b.ts', "import type { X } from '../c/d.ts';\nexport { Y } from './e.ts';\nconst z = await import('../f.ts');")).toEqual([
      'c/d.ts',
      'a/e.ts',
      'f.ts',
    ]);
  });

  it('lets nothing below the routes import them (only boot/, main.ts, tests, benches and scripts)', () => {
    expect(
      violations(
        (f) => !under(f, 'routes', 'boot', 'main.ts', 'tests', 'bench', 'scripts'),
        (i) => under(i, 'routes'),
      ),
    ).toEqual([]);
  });

  it('keeps lib/ a leaf: it imports only lib/ and packages', () => {
    expect(
      violations(
        (f) => under(f, 'lib'),
        (i) => isProjectPath(i) && !under(i, 'lib'),
      ),
    ).toEqual([]);
  });

  it('keeps protocol/ on lib/ and itself', () => {
    expect(
      violations(
        (f) => under(f, 'protocol'),
        (i) => isProjectPath(i) && !under(i, 'protocol', 'lib'),
      ),
    ).toEqual([]);
  });

  it('lets routes run no queries: no db/, no drizzle-orm', () => {
    expect(
      violations(
        (f) => under(f, 'routes'),
        (i) => under(i, 'db') || i === 'drizzle-orm' || i.startsWith('drizzle-orm/'),
      ),
    ).toEqual([]);
  });

  it('keeps the machines pure: nothing from services/, routes/, db/ or media/', () => {
    expect(
      violations(
        (f) => under(f, 'actors/machines'),
        (i) => under(i, 'services', 'routes', 'db', 'media'),
      ),
    ).toEqual([]);
  });

  it('lets no service import the start-up (boot/ builds the services, not the other way round)', () => {
    expect(
      violations(
        (f) => under(f, 'services', 'actors', 'protocol', 'media', 'db', 'lib'),
        (i) => under(i, 'boot', 'main.ts'),
      ),
    ).toEqual([]);
  });
});

/** Whether an import names one of the project's files (a resolved relative path) rather than a package. */
function isProjectPath(imp: string): boolean {
  return imp.endsWith('.ts') || imp.endsWith('.json');
}
