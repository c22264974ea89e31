/**
 * ssl.cipher.suites (Kafka's suite names) and ssl.enabled.protocols on a TLS listener: a client
 * that offers only a suite or a version the listener does not allow fails the handshake; one
 * offering an allowed suite gets it.
 */
import { constants } from 'node:crypto';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Listener } from '../../../src/server/listener.js';
import { listenerSecurity } from '../../../src/config/security.js';
import { listenerTls } from '../../../src/security/tls-context.js';
import { createLogger } from '../../../src/log.js';
import { ConfigError } from '../../../src/errors.js';
import { makeTestCerts, type TestCerts } from '../../support/certs.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => {
  certs.remove();
});

function security(settings: Record<string, string>) {
  return listenerSecurity({ name: 'SSL', host: '127.0.0.1', port: 0 }, { 'ssl.keystore.location': certs.serverPem, ...settings });
}

async function withListener(settings: Record<string, string>, run: (port: number) => Promise<void>): Promise<void> {
  const sec = security(settings);
  const listener = await Listener.listen({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger({ level: 'silent' }),
    name: 'SSL',
    securityProtocol: sec.protocol,
    tls: listenerTls(sec),
    quotas: { maxConnections: 100, maxConnectionsPerIp: 100, perIpOverrides: new Map() },
    dispatch: () => ({ kind: 'close', reason: 'test done' }),
  });
  try {
    await run(listener.port);
  } finally {
    await listener.close({ timeoutMs: 0 });
  }
}

/** The suite (IANA name) the handshake settled on, or 'refused'. */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: certs.read(certs.caCert), ...options });
    socket.once('secureConnect', () => {
      resolve(socket.getCipher().standardName);
      socket.destroy();
    });
    socket.once('error', () => resolve('refused'));
  });
}

describe('ssl.cipher.suites', () => {
  it('a TLS 1.2 client offering only a suite not listed fails the handshake; a listed one is used', async () => {
    const settings = { 'ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ssl.enabled.protocols': 'TLSv1.2' };
    await withListener(settings, async (port) => {
      expect(await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })).toBe('refused');
      expect(await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384' })).toBe('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    });
  });

  it('applies to TLS 1.3 suites too', async () => {
    await withListener({ 'ssl.cipher.suites': 'TLS_AES_256_GCM_SHA384' }, async (port) => {
      expect(await handshake(port, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' })).toBe('refused');
      expect(await handshake(port, { minVersion: 'TLSv1.3' })).toBe('TLS_AES_256_GCM_SHA384');
    });
  });

  it('a suite Skiff cannot offer stops startup, naming the key', () => {
    expect(() => listenerTls(security({ 'listener.name.ssl.ssl.cipher.suites': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_NOPE' }))).toThrow(ConfigError);
    expect(() => listenerTls(security({ 'ssl.cipher.suites': 'TLS_NOPE' }))).toThrow(/ssl.cipher.suites.*TLS_NOPE/);
  });
});

describe('ssl.enabled.protocols', () => {
  it('a client limited to a version not listed fails the handshake', async () => {
    await withListener({ 'ssl.enabled.protocols': 'TLSv1.3' }, async (port) => {
      expect(await handshake(port, { maxVersion: 'TLSv1.2' })).toBe('refused');
      expect(await handshake(port, {})).toBe('TLS_AES_256_GCM_SHA384');
    });
  });

  it('leaves out a version between the lowest and the highest listed', () => {
    const { options } = listenerTls(security({ 'ssl.enabled.protocols': 'TLSv1.1,TLSv1.3' }));
    expect(options).toMatchObject({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.3' });
    expect(options.secureOptions! & constants.SSL_OP_NO_TLSv1_2).not.toBe(0);
    expect(options.secureOptions! & constants.SSL_OP_NO_TLSv1_1).toBe(0);
  });
});
