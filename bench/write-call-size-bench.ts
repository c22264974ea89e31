/**
 * The page-cache copy's cost by the size of each write call, with no broker: the same bytes
 * written to new files from an unaligned position in calls of 64 KiB to 32 MiB, the sizes
 * interleaved round after round, and the system CPU each size took. On a Linux whose page
 * cache uses large folios (6.x), a call's length decides the folio size; on a VM with free page
 * reporting, large folios come from memory the host has taken back, and the copy into them is
 * where the time goes (see WRITE_CALL_MAX_BYTES in src/storage/file-store.ts).
 *
 *   npx tsx bench/write-call-size-bench.ts [mib=96] [rounds=4]
 *
 * The files are deleted only at the end: freeing page cache between rounds would hand the next
 * round recently freed (cheap) pages and hide the effect.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuUsage } from 'node:process';
import { median } from './lib/proc.js';
import { loadavg } from './lib/stamp.js';

const total = Number(process.argv[2] ?? 96) * 1024 * 1024;
const rounds = Number(process.argv[3] ?? 4);
const sizes = [64 << 10, 256 << 10, 1 << 20, 4 << 20, 32 << 20];
const source = Buffer.alloc(32 << 20, 7);
const dir = mkdtempSync(join(tmpdir(), 'skiff-write-calls-'));
const systemMs = new Map<number, number[]>(sizes.map((s) => [s, []]));
const wallMs = new Map<number, number[]>(sizes.map((s) => [s, []]));
try {
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    for (const size of sizes) {
      const fd = openSync(join(dir, `f${n++}`), 'w');
      // Unaligned, as a segment's batches are.
      let position = 12_345;
      const t0 = performance.now();
      const c0 = cpuUsage();
      while (position < total) {
        writeSync(fd, source, 0, size, position);
        position += size;
      }
      systemMs.get(size)!.push(cpuUsage(c0).system / 1000);
      wallMs.get(size)!.push(performance.now() - t0);
      closeSync(fd);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${total >> 20} MiB per size and round, ${rounds} rounds (load ${loadavg()})\n| call size | system ms per round | median system s/GiB | median MiB/s |\n| --- | --- | ---: | ---: |\n`);
for (const size of sizes) {
  const sys = systemMs.get(size)!;
  const perGib = median(sys)! / 1000 / (total / 2 ** 30);
  const mibS = (total / 2 ** 20) / (median(wallMs.get(size)!)! / 1000);
  process.stdout.write(`| ${size >> 10} KiB | ${sys.map((v) => v.toFixed(0)).join(', ')} | ${perGib.toFixed(2)} | ${mibS.toFixed(0)} |\n`);
}
