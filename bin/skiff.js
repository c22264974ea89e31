#!/usr/bin/env node
// The bundled CLI (scripts/bundle.ts); `make build` writes it.
import { main } from '../dist/bundle/main.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
