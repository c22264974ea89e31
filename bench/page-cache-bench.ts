/**
 * What a synchronous append costs on this machine's page cache, with no broker: writes 150 MiB
 * to a new file in 1 MiB, then 16 KiB, then again 1 MiB pieces (writevSync, as
 * FileSegmentStore appends) and prints wall and CPU time per write. Run it a few times: on a VM, pages the guest never
 * touched before cost far more than reused ones, and that cost lands in the produce
 * profile as `writeBuffers`, for any broker that writes through the page cache.
 *
 *   npx tsx bench/page-cache-bench.ts [dir=os.tmpdir()] [mib=150]
 */
import { closeSync, constants, openSync, unlinkSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = process.argv[2] ?? tmpdir();
const total = Number(process.argv[3] ?? 150) * 1024 * 1024;
for (const size of [1024 * 1024, 16 * 1024, 1024 * 1024]) {
  const path = join(dir, `skiff-page-cache-${process.pid}-${size}.log`);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
  const buf = Buffer.alloc(size, 1);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let pos = 0; pos < total; ) pos += writevSync(fd, [buf], pos);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  closeSync(fd);
  unlinkSync(path);
  const writes = total / size;
  process.stdout.write(
    `${String(size / 1024).padStart(5)} KiB writes x ${writes}: ${wall.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, ` +
      `${((wall * 1000) / writes).toFixed(1)} µs per write, ${(total / 1e6 / (wall / 1000)).toFixed(0)} MB/s\n`,
  );
}
