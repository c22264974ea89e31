/**
 * What one /metrics scrape costs: an in-process broker (6 partitions per auto-created topic),
 * 20 warm-up scrapes, then 200 timed ones. Prints wall time and CPU per scrape (client and
 * server share the process, so the CPU is an upper bound for the broker's share) and the size
 * of the exposition. Never pass/fail.
 *
 *   npx tsx bench/metrics-scrape-cost.ts
 */
import { startBroker } from '../src/index.js';

const broker = await startBroker({ memory: true, httpPort: 0, logLevel: 'silent', config: { 'num.partitions': 6 } });
const url = new URL('metrics', broker.httpUrl);
for (let i = 0; i < 20; i++) await (await fetch(url)).text();
const n = 200;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let size = 0;
for (let i = 0; i < n; i++) size = (await (await fetch(url)).text()).length;
const cpu = process.cpuUsage(cpu0);
console.log(`per /metrics scrape: ${((performance.now() - t0) / n).toFixed(2)} ms wall, ${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms CPU, ${size} bytes`);
await broker.close();
