/**
 * Prints one Markdown line with the time, the commit and the machine (load average included),
 * for the results `make bench` writes with other scripts (bench/results/*.md).
 *
 *   npx tsx bench/stamp.ts
 */
import { commitStamp, machineStamp } from './lib/report.js';
import { commit, machine } from './lib/stamp.js';

const meta = { commit: await commit(), machine: { ...(await machine()), loadavg_at_end: '' } };
process.stdout.write(`_${new Date().toISOString()}, ${commitStamp(meta)}; ${machineStamp(meta)}_\n\n`);
