/**
 * The console's page, script and styles: files in src/http/console/, copied next to the
 * compiled modules by `make build` (dist/src/http/console/), read once at server start and
 * served from memory. No CDN and no framework: plain DOM and hand-drawn SVG charts.
 */
import { readFileSync } from 'node:fs';
import type { RouteTable } from './routes.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const FILES = ['index.html', 'app.js', 'app.css', 'favicon.svg'];

// From src/http (tsx, vitest) and dist/src/http the folder is beside this module; the CLI
// bundle (dist/bundle) finds the copy under dist/src.
const CANDIDATES = ['./console/', '../src/http/console/'];

export function loadConsoleAssets(): Map<string, { type: string; body: Buffer }> | undefined {
  for (const dir of CANDIDATES) {
    try {
      const assets = new Map<string, { type: string; body: Buffer }>();
      for (const file of FILES) assets.set(file, { type: TYPES[file.slice(file.lastIndexOf('.'))]!, body: readFileSync(new URL(dir + file, import.meta.url)) });
      return assets;
    } catch {
      // Not in this layout; try the next.
    }
  }
  return undefined;
}

export function consoleRoutes(routes: RouteTable): void {
  const assets = loadConsoleAssets();
  const serve = (file: string) => () => {
    const asset = assets?.get(file);
    if (asset === undefined) return { status: 404, json: { error: 'console assets are missing from this build (make build copies them)' } };
    return { headers: { 'content-type': asset.type }, body: asset.body };
  };
  routes.get('/', serve('index.html'));
  for (const file of FILES.slice(1)) routes.get(`/${file}`, serve(file));
}
