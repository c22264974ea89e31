/** Loopback ports for the brokers and servers a benchmark starts next. */
import { createServer } from 'node:net';
import { freePort } from '../../test/support/free-port.js';

export { freePort };

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port P with P .. P+count-1 all free (for a broker that numbers several listeners from P up). */
export async function freePorts(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + count > 65535) continue;
    let ok = true;
    for (let i = 1; i < count && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
}
