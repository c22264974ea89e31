/**
 * TLS for SSL and SASL_SSL listeners from Kafka's ssl.* settings: a keystore (PEM file, PKCS12
 * file, or PEM text in ssl.keystore.key / ssl.keystore.certificate.chain), a truststore (PEM file
 * or ssl.truststore.certificates) for client certificates, ssl.client.auth,
 * ssl.enabled.protocols and ssl.cipher.suites.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:crypto';
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { ConfigError } from '../errors.js';
import type { ClientAuth, ListenerSecurity } from '../config/security.js';
import { parseMappingRules, type PrincipalMapper } from './ssl-principal.js';
import { openSslCipherName } from './cipher-suites.js';

export interface ListenerTls {
  /** For tls.createServer: checked by building a context from them once at startup. */
  readonly options: SecureContextOptions;
  readonly clientAuth: ClientAuth;
  readonly principalOf: PrincipalMapper;
}

const JKS_MAGIC = 0xfeedfeed;

export function listenerTls(sec: ListenerSecurity): ListenerTls {
  const options: SecureContextOptions = {};
  Object.assign(options, keystore(sec), truststore(sec), protocols(sec), cipherSuites(sec));
  const clientAuth = (sec.get('ssl.client.auth') ?? 'none').trim().toLowerCase();
  if (clientAuth !== 'none' && clientAuth !== 'requested' && clientAuth !== 'required') {
    throw new ConfigError(sec.source('ssl.client.auth'), `expected none, requested or required, got "${clientAuth}"`);
  }
  try {
    createSecureContext(options);
  } catch (err) {
    throw new ConfigError(sec.source('ssl.keystore.location'), `listener ${sec.name}: TLS key material not usable: ${(err as Error).message}`);
  }
  return { options, clientAuth: clientAuth as ClientAuth, principalOf: parseMappingRules(sec.get('ssl.principal.mapping.rules'), sec.source('ssl.principal.mapping.rules')) };
}

function keystore(sec: ListenerSecurity): SecureContextOptions {
  const keyPassword = sec.get('ssl.key.password');
  const inlineKey = sec.get('ssl.keystore.key');
  if (inlineKey !== undefined) {
    const chain = sec.get('ssl.keystore.certificate.chain');
    if (chain === undefined) throw new ConfigError(sec.source('ssl.keystore.certificate.chain'), 'needed with ssl.keystore.key');
    return { key: inlineKey, cert: chain, passphrase: keyPassword };
  }
  const location = sec.get('ssl.keystore.location');
  if (location === undefined) {
    throw new ConfigError(sec.source('ssl.keystore.location'), `listener ${sec.name} (${sec.protocol}) needs a keystore: ssl.keystore.location, or ssl.keystore.key with ssl.keystore.certificate.chain`);
  }
  const bytes = readStore(sec, 'ssl.keystore.location', location);
  const type = storeType(sec, 'ssl.keystore.type', bytes);
  if (type === 'PEM') {
    // A PEM keystore file holds the private key and the certificate chain.
    return { key: bytes, cert: bytes, passphrase: keyPassword };
  }
  return { pfx: bytes, passphrase: sec.get('ssl.keystore.password') ?? keyPassword };
}

function truststore(sec: ListenerSecurity): SecureContextOptions {
  const inline = sec.get('ssl.truststore.certificates');
  if (inline !== undefined) return { ca: inline };
  const location = sec.get('ssl.truststore.location');
  if (location === undefined) return {};
  const bytes = readStore(sec, 'ssl.truststore.location', location);
  if (storeType(sec, 'ssl.truststore.type', bytes) !== 'PEM') {
    throw new ConfigError(sec.source('ssl.truststore.type'), 'Skiff reads PEM truststores only; export the CA certificates to PEM (openssl pkcs12 -nokeys)');
  }
  return { ca: bytes };
}

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** OpenSSL's switch for each version, to leave out one between the lowest and the highest enabled. */
const NO_VERSION: Readonly<Record<SecureVersion, number>> = {
  TLSv1: constants.SSL_OP_NO_TLSv1,
  'TLSv1.1': constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': constants.SSL_OP_NO_TLSv1_2,
  'TLSv1.3': constants.SSL_OP_NO_TLSv1_3,
};

/** ssl.enabled.protocols: exactly the versions listed (Kafka's default: TLSv1.2,TLSv1.3). */
function protocols(sec: ListenerSecurity): SecureContextOptions {
  const text = sec.get('ssl.enabled.protocols');
  if (text === undefined) return { minVersion: 'TLSv1.2' };
  const versions = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = versions.find((v) => !VERSIONS.includes(v as SecureVersion));
  if (bad !== undefined || versions.length === 0) {
    throw new ConfigError(sec.source('ssl.enabled.protocols'), `expected a list of ${VERSIONS.join(', ')}, got "${text}"`);
  }
  const sorted = versions.map((v) => VERSIONS.indexOf(v as SecureVersion)).sort((a, b) => a - b);
  const [lowest, highest] = [sorted[0]!, sorted[sorted.length - 1]!];
  let secureOptions = 0;
  for (let i = lowest + 1; i < highest; i++) if (!sorted.includes(i)) secureOptions |= NO_VERSION[VERSIONS[i]!];
  return { minVersion: VERSIONS[lowest], maxVersion: VERSIONS[highest], ...(secureOptions !== 0 ? { secureOptions } : {}) };
}

/**
 * ssl.cipher.suites: only the suites listed, by Kafka's (Java's) names; unset or empty, the
 * defaults. A name Skiff cannot offer stops startup, as an unsupported suite stops Kafka's.
 */
function cipherSuites(sec: ListenerSecurity): SecureContextOptions {
  const names = (sec.get('ssl.cipher.suites') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) return {};
  const unknown = names.filter((n) => openSslCipherName(n) === undefined);
  if (unknown.length > 0) throw new ConfigError(sec.source('ssl.cipher.suites'), `unsupported cipher suites: ${unknown.join(', ')}`);
  return { ciphers: names.map((n) => openSslCipherName(n)!).join(':') };
}

function readStore(sec: ListenerSecurity, key: string, location: string): Buffer {
  try {
    return readFileSync(location);
  } catch (err) {
    throw new ConfigError(sec.source(key), `cannot read ${location}: ${(err as Error).message}`);
  }
}

/** ssl.*.type, or what the file looks like when unset (Kafka's default, JKS, is not readable here). */
function storeType(sec: ListenerSecurity, key: string, bytes: Buffer): 'PEM' | 'PKCS12' {
  const given = sec.get(key)?.trim().toUpperCase();
  const isJks = bytes.length >= 4 && bytes.readUInt32BE(0) === JKS_MAGIC;
  if (given === 'JKS' || (given === undefined && isJks)) {
    throw new ConfigError(sec.source(key), 'JKS stores are not supported by Skiff; convert to PKCS12 (keytool -importkeystore -deststoretype PKCS12) or PEM');
  }
  if (given === 'PEM' || given === 'PKCS12') return given;
  if (given !== undefined) throw new ConfigError(sec.source(key), `expected PEM or PKCS12, got "${given}"`);
  return bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN') ? 'PEM' : 'PKCS12';
}
