/**
 * Bundle the web console with Bun's bundler, in memory: `web/src/main.ts` (and the CSS it imports)
 * into content-hashed files, and `web/index.html` pointing at them. The platform builds once, on
 * the first request for a console page, and serves the result from memory; nothing is fetched
 * from a CDN and nothing is written to disk.
 */
import { join } from 'node:path';
import { mpegtsAbortFix } from './mpegts-fix.ts';

/** Where the console's sources are. */
export const WEB_ROOT = import.meta.dir;
/** URL prefix of the bundled files. */
export const ASSET_PREFIX = '/assets/';

/** One bundled file. */
export interface Asset {
  body: Uint8Array;
  type: string;
}

/** The built console: its page and its files by name. */
export interface ConsoleBundle {
  html: string;
  assets: Map<string, Asset>;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
};

/** Build the console; throws with the bundler's messages on failure. */
export async function buildConsole(opts: { minify?: boolean } = {}): Promise<ConsoleBundle> {
  const out = await Bun.build({
    entrypoints: [join(WEB_ROOT, 'src', 'main.ts')],
    target: 'browser',
    format: 'esm',
    // The video players (mpegts.js, hls.js) are imported on first use: chunks of their own.
    splitting: true,
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    naming: { entry: '[name]-[hash].[ext]', chunk: '[name]-[hash].[ext]', asset: '[name]-[hash].[ext]' },
    publicPath: ASSET_PREFIX,
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [mpegtsAbortFix],
  });
  if (!out.success) throw new AggregateError(out.logs, `console build failed: ${out.logs.map(String).join('\n')}`);
  const assets = new Map<string, Asset>();
  let script = '';
  let style = '';
  for (const a of out.outputs) {
    const name = a.path.replace(/^.*[\\/]/, '');
    const ext = name.slice(name.lastIndexOf('.') + 1);
    assets.set(name, { body: new Uint8Array(await a.arrayBuffer()), type: TYPES[ext] ?? 'application/octet-stream' });
    if (a.kind === 'entry-point' && ext === 'js') script = name;
    if (ext === 'css' && !style) style = name;
  }
  const template = await Bun.file(join(WEB_ROOT, 'index.html')).text();
  const html = template
    .replace('%SCRIPT%', `${ASSET_PREFIX}${script}`)
    .replace('%STYLE%', style ? `<link rel="stylesheet" href="${ASSET_PREFIX}${style}">` : '');
  return { html, assets };
}
