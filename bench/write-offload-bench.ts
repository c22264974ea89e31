/**
 * Where a segment append's page-cache copy should run, with no broker: the same appends
 * written (a) with a synchronous pwritev on the main thread, (b) through the libuv thread pool
 * (fs.writev, several in flight as partitions would have), (c) by a worker thread that owns the
 * descriptor and is handed each append copied into a SharedArrayBuffer (the broker's buffers
 * cannot be transferred: the tail cache and the response still hold views of them). Prints
 * the main thread's busy time per MiB (event-loop utilization, what a connection waits for)
 * and the process's CPU per MiB (all threads).
 *
 *   npx tsx bench/write-offload-bench.ts [appendKiB=1024] [mib=256] [inFlight=4]
 */
import { closeSync, constants, openSync, unlinkSync, writevSync, writev, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const appendBytes = Number(process.argv[2] ?? 1024) * 1024;
const total = Number(process.argv[3] ?? 256) * 1024 * 1024;
const inFlight = Number(process.argv[4] ?? 4);
const count = Math.floor(total / appendBytes);
const data = Buffer.alloc(appendBytes, 7);

type Writer = { write(fd: number, position: number): Promise<void>; close(): Promise<void> };

const syncWriter: Writer = {
  write: (fd, position) => {
    writevSync(fd, [data], position);
    return Promise.resolve();
  },
  close: () => Promise.resolve(),
};

const poolWriter: Writer = {
  write: (fd, position) => new Promise((resolve, reject) => writev(fd, [data], position, (e) => (e ? reject(e) : resolve()))),
  close: () => Promise.resolve(),
};

function workerWriter(): Writer {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    parentPort.on('message', ({ id, sab, fd, position, length }) => {
      writeSync(fd, new Uint8Array(sab, 0, length), 0, length, position);
      parentPort.postMessage(id);
    });`;
  const w = new Worker(code, { eval: true });
  const waiting = new Map<number, () => void>();
  w.on('message', (id: number) => {
    waiting.get(id)!();
    waiting.delete(id);
  });
  let next = 0;
  // Shared buffers are reused once the worker is done with them: allocating one per append
  // would measure the allocation, not the hand-off.
  const free: SharedArrayBuffer[] = [];
  return {
    write: (fd, position) =>
      new Promise((resolve) => {
        const sab = free.pop() ?? new SharedArrayBuffer(appendBytes);
        new Uint8Array(sab).set(data);
        const id = next++;
        waiting.set(id, () => {
          free.push(sab);
          resolve();
        });
        w.postMessage({ id, sab, fd, position, length: appendBytes });
      }),
    close: () => w.terminate().then(() => undefined),
  };
}

async function measure(name: string, writer: Writer): Promise<void> {
  const path = join(tmpdir(), `skiff-offload-${process.pid}.log`);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
  // Touch the file's pages once so every mode copies into the same warm page cache.
  for (let pos = 0; pos < count * appendBytes; pos += appendBytes) writeSync(fd, data, 0, appendBytes, pos);
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let issued = 0;
  const lane = async (): Promise<void> => {
    while (issued < count) await writer.write(fd, appendBytes * issued++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  await writer.close();
  closeSync(fd);
  unlinkSync(path);
  const mib = total / 2 ** 20;
  process.stdout.write(
    `${name.padEnd(22)} main thread ${((elu.active / mib) * 1000).toFixed(0).padStart(5)} µs/MiB   process CPU ${(((cpu.user + cpu.system) / mib)).toFixed(0).padStart(5)} µs/MiB   ${(total / 1e6 / (wall / 1000)).toFixed(0).padStart(5)} MB/s\n`,
  );
}

process.stdout.write(`${count} appends of ${appendBytes / 1024} KiB, ${inFlight} in flight\n`);
for (let round = 0; round < 2; round++) {
  await measure('sync pwritev', syncWriter);
  await measure('libuv pool (fs.writev)', poolWriter);
  await measure('worker + SAB copy', workerWriter());
}
