// How long broker.reset() (the embedded API's per-test isolation) takes on a memory broker
// with a topic and a record in it. Run: npx tsx bench/reset-bench.ts [--smoke]
import { startBroker } from '../src/index.js';

const rounds = process.argv.includes('--smoke') ? 3 : 50;
const broker = await startBroker({ logLevel: 'silent' });
const times: number[] = [];
try {
  for (let i = 0; i < rounds; i++) {
    await broker.createTopic('t', { partitions: 4 });
    await broker.produce('t', [{ value: 'x' }]);
    const start = performance.now();
    await broker.reset();
    times.push(performance.now() - start);
  }
} finally {
  await broker.close();
}
times.sort((a, b) => a - b);
const at = (q: number): string => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
console.log(`broker.reset() on Node ${process.version}, ${rounds} rounds: median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`);
