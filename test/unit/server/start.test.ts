import { describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../../src/config.js';
import type { DispatchResult } from '../../../src/server/connection.js';
import type { BrokerRuntime } from '../../../src/server/runtime.js';
import { launchBroker } from '../../../src/launch.js';
import { captureLogger, idFrame, sleep, TestClient } from './helpers.js';

const echo = (frame: Buffer): DispatchResult => ({ kind: 'response', chunks: [Buffer.from(frame)] });

describe('launchBroker', () => {
  it('hands the runtime the bound port, serves through it, logs one listening line, and closes it last', async () => {
    const log = captureLogger('info');
    const events: string[] = [];
    let seenConfig: BrokerConfig | undefined;
    const broker = await launchBroker(
      { host: '127.0.0.1', port: 0, memory: true, settings: { 'num.partitions': '3' }, logger: log.logger },
      async (config): Promise<BrokerRuntime> => {
        seenConfig = config;
        await sleep(50);
        return {
          dispatch: echo,
          close: async () => {
            events.push('runtime closed');
          },
        };
      },
    );
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
    expect(seenConfig!.values.listeners).toBe(`PLAINTEXT://127.0.0.1:${broker.port}`);
    expect(seenConfig!.values['num.partitions']).toBe(3);
    expect(seenConfig!.values['skiff.memory']).toBe(true);
    expect(seenConfig!.explicit.has('num.partitions')).toBe(true);

    const infos = log.lines.filter((l) => l.level === 30);
    expect(infos).toHaveLength(1);
    expect(infos[0]!.msg).toBe(`Skiff listening on 127.0.0.1:${broker.port}`);
    expect(infos[0]!.port).toBe(broker.port);

    const client = await TestClient.open(broker.port);
    client.socket.write(idFrame(11));
    await client.waitFrames(1);
    expect(client.ids()).toEqual([11]);

    const closing = broker.close();
    expect(broker.close()).toBe(closing);
    await closing;
    await client.closed;
    expect(events).toEqual(['runtime closed']);
  });

  it('holds requests that arrive while the runtime is still starting', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let bound = 0;
    const launching = launchBroker(
      { host: '127.0.0.1', port: 0, memory: true, logger: captureLogger('silent').logger },
      async (config) => {
        bound = Number(config.values.listeners.split(':').pop());
        await gate;
        return { dispatch: echo, close: async () => {} };
      },
    );
    while (bound === 0) await sleep(5);
    const client = await TestClient.open(bound);
    client.socket.write(idFrame(3));
    await sleep(50);
    expect(client.frames).toHaveLength(0);
    release();
    const broker = await launching;
    await client.waitFrames(1);
    expect(client.ids()).toEqual([3]);
    await broker.close();
  });

  it('releases the port and rejects when the runtime cannot start', async () => {
    let port = 0;
    await expect(
      launchBroker({ host: '127.0.0.1', port: 0, memory: true, logger: captureLogger('silent').logger }, (config) => {
        port = Number(config.values.listeners.split(':').pop());
        throw new Error('storage is corrupt');
      }),
    ).rejects.toThrow('storage is corrupt');
    // The same port can be bound again, so the listener really closed.
    const again = await launchBroker(
      { host: '127.0.0.1', port, memory: true, logger: captureLogger('silent').logger },
      () => ({ dispatch: echo, close: async () => {} }),
    );
    expect(again.port).toBe(port);
    await again.close();
  });

  it('rejects a bad setting before binding anything', async () => {
    let created = false;
    await expect(
      launchBroker(
        { port: 0, settings: { 'message.max.bytes': 'lots' }, logger: captureLogger('silent').logger },
        () => {
          created = true;
          return { dispatch: echo, close: async () => {} };
        },
      ),
    ).rejects.toThrow('config message.max.bytes (from settings): expected int (a 32-bit integer), got "lots" (string)');
    expect(created).toBe(false);
  });
});
