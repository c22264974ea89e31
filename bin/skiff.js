#!/usr/bin/env node
// The bundled CLI (scripts/bundle.ts); `make build` writes it.
import module from 'node:module';

// Node 22.1+ keeps V8's compiled code of the bundle on disk (under the OS temp dir, or
// NODE_COMPILE_CACHE) and reuses it on the next start instead of parsing ~2 MB of JavaScript
// again; NODE_DISABLE_COMPILE_CACHE=1 turns it off. Node 20 has no such cache. Enabled before
// the bundle is imported, which is why that import is dynamic.
module.enableCompileCache?.();
const { main } = await import('../dist/bundle/main.js');

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
