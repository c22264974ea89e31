import { describe, expect, it } from 'vitest';
import { startBroker } from '../../../src/index.js';
import { TestClient } from './helpers.js';

describe('startBroker', () => {
  it('starts on a free loopback port by default and closes', async () => {
    const broker = await startBroker({ memory: true, logLevel: 'silent' });
    expect(broker.host).toBe('127.0.0.1');
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.port).not.toBe(9092);
    expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
    const client = await TestClient.open(broker.port);
    await broker.close();
    await client.closed;
  });
});
