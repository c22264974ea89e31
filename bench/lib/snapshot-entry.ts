/**
 * Entry of the snapshot bundle (bench/startup-snapshot.ts). While the snapshot is built, the
 * modules `skiff start` loads lazily are loaded here, so their code and top-level state are in
 * the heap the snapshot saves; the snapshot's main then runs the CLI as bin/skiff.js would.
 */
import { startupSnapshot } from 'node:v8';
import { main } from '../../src/main.js';

void Promise.all([import('../../src/broker.js'), import('../../src/log.js'), import('../../src/launch.js')]);

startupSnapshot.setDeserializeMainFunction(() => {
  // argv is [node, ...arguments]: no script name in between.
  main(process.argv.slice(1)).catch((err: unknown) => {
    process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
});
