import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { Listener } from '../../../src/server/listener.js';
import { listenerSecurity } from '../../../src/config/security.js';
import { listenerTls } from '../../../src/security/tls-context.js';
import { createLogger } from '../../../src/log.js';
import type { ConnectionContext } from '../../../src/server/connection.js';
import { makeTestCerts, type TestCerts } from '../../support/certs.js';

let certs: TestCerts;
const dirs: string[] = [];
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => {
  certs.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const quiet = createLogger({ level: 'silent' });

function portOf(broker: RunningBroker, name: string): number {
  const found = broker.listeners.find((l) => l.name === name);
  if (found === undefined) throw new Error(`no listener ${name}`);
  return found.port;
}

/** Resolves with how a raw connection ended: 'closed' when the broker closed it. */
function endsWith(socket: import('node:net').Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.on('error', () => {});
    socket.on('close', () => resolve('closed'));
  });
}

describe('SSL listener beside PLAINTEXT', () => {
  it('kafkajs produces and consumes over TLS (fetch from segment files included); metadata advertises the SSL port', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-tls-'));
    dirs.push(dataDir);
    const start = (): Promise<RunningBroker> =>
      startBroker({
        dataDir,
        config: {
          listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
          'ssl.keystore.location': certs.serverP12,
          'ssl.keystore.type': 'PKCS12',
          'ssl.keystore.password': certs.p12Password,
        },
      });
    const client = (broker: RunningBroker): Kafka =>
      new Kafka({ brokers: [`127.0.0.1:${portOf(broker, 'SSL')}`], ssl: { ca: [certs.read(certs.caCert)] }, logLevel: logLevel.NOTHING });
    const values = Array.from({ length: 500 }, (_, i) => `value-${i}-${'x'.repeat(i % 50)}`);
    const first = await start();
    try {
      const producer = client(first).producer();
      await producer.connect();
      await producer.send({ topic: 'secure', messages: values.map((value) => ({ value })) });
      await producer.disconnect();
    } finally {
      await first.close();
    }
    // Restarted, nothing is cached in memory: fetch answers from segment files (file regions).
    const broker = await start();
    try {
      const kafka = client(broker);

      const consumer = kafka.consumer({ groupId: 'tls-group' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'secure', fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(message.value!.toString());
              if (seen.length === values.length) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      expect(seen).toEqual(values);
    } finally {
      await broker.close();
    }
  });

  it('a TLS client on the PLAINTEXT port and a plaintext client on the SSL port are closed; the broker goes on', async () => {
    const broker = await startBroker({ config: { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.location': certs.serverPem } });
    try {
      const tlsOnPlain = tlsConnect({ host: '127.0.0.1', port: portOf(broker, 'PLAINTEXT'), rejectUnauthorized: false });
      expect(await endsWith(tlsOnPlain)).toBe('closed');
      const plainOnTls = netConnect(portOf(broker, 'SSL'), '127.0.0.1');
      // An ApiVersions v0 request: not a ClientHello.
      plainOnTls.write(Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0]));
      expect(await endsWith(plainOnTls)).toBe('closed');
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      expect(await admin.createTopics({ topics: [{ topic: 'still-fine' }] })).toBe(true);
      await admin.disconnect();
    } finally {
      await broker.close();
    }
  });

  it('refuses a JKS keystore and a missing keystore at startup, naming the key', async () => {
    await expect(startBroker({ config: { listeners: 'SSL://127.0.0.1:0' } })).rejects.toThrow(/ssl\.keystore\.location/);
    await expect(
      startBroker({ config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.serverPem, 'ssl.keystore.type': 'JKS' } }),
    ).rejects.toThrow(/JKS stores are not supported/);
  });
});

describe('mutual TLS', () => {
  async function mtlsListener(clientAuth: string, rules?: string, maxConnectionsPerIp = Number.MAX_SAFE_INTEGER): Promise<{ listener: Listener; principals: string[] }> {
    const settings: Record<string, string> = {
      'listener.name.secure.ssl.keystore.location': certs.serverPem,
      'ssl.truststore.location': certs.caCert,
      'ssl.client.auth': clientAuth,
      'listener.security.protocol.map': 'SECURE:SSL',
    };
    if (rules !== undefined) settings['ssl.principal.mapping.rules'] = rules;
    const security = listenerSecurity({ name: 'SECURE', host: '127.0.0.1', port: 0 }, settings);
    const principals: string[] = [];
    const listener = await Listener.listen({
      host: '127.0.0.1',
      port: 0,
      logger: quiet,
      name: 'SECURE',
      securityProtocol: security.protocol,
      tls: listenerTls(security),
      quotas: { maxConnections: Number.MAX_SAFE_INTEGER, maxConnectionsPerIp, perIpOverrides: new Map() },
      dispatch: (_frame, conn: ConnectionContext) => {
        principals.push(conn.principal);
        return { kind: 'close', reason: 'test done' };
      },
    });
    return { listener, principals };
  }

  /** Connects with the given client certificate (or none), sends one frame, and resolves when closed. */
  async function roundTrip(port: number, cert?: { key: string; cert: string }): Promise<string> {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: certs.read(certs.caCert),
      ...(cert ? { key: certs.read(cert.key), cert: certs.read(cert.cert) } : {}),
    });
    socket.on('secureConnect', () => socket.write(Buffer.from([0, 0, 0, 8, 0, 18, 0, 0, 0, 0, 0, 1])));
    return endsWith(socket);
  }

  it('required: the certificate subject becomes the principal; no certificate or an untrusted one is refused', async () => {
    const { listener, principals } = await mtlsListener('required');
    try {
      await roundTrip(listener.port, { key: certs.clientKey, cert: certs.clientCert });
      await roundTrip(listener.port);
      await roundTrip(listener.port, { key: certs.rogueKey, cert: certs.rogueCert });
      expect(principals).toEqual([`User:${certs.clientDn}`]);
    } finally {
      await listener.close({ timeoutMs: 0 });
    }
  });

  it('requested: no certificate is ANONYMOUS, an untrusted one is refused; mapping rules rewrite the name', async () => {
    const { listener, principals } = await mtlsListener('requested', 'RULE:^CN=([a-z]+),OU=eng,.*$/$1@eng/U,DEFAULT');
    try {
      await roundTrip(listener.port);
      await roundTrip(listener.port, { key: certs.rogueKey, cert: certs.rogueCert });
      await roundTrip(listener.port, { key: certs.clientKey, cert: certs.clientCert });
      expect(principals).toEqual(['User:ANONYMOUS', 'User:ALICE@ENG']);
    } finally {
      await listener.close({ timeoutMs: 0 });
    }
  });

  it('gives the connection slot back when a handshake fails (max.connections.per.ip = 1)', async () => {
    const { listener, principals } = await mtlsListener('required', undefined, 1);
    try {
      for (let i = 0; i < 3; i++) await roundTrip(listener.port);
      await roundTrip(listener.port, { key: certs.clientKey, cert: certs.clientCert });
      expect(principals).toEqual([`User:${certs.clientDn}`]);
    } finally {
      await listener.close({ timeoutMs: 0 });
    }
  });
});
