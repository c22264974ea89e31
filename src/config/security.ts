/**
 * Security settings under Kafka's names: which security protocol each listener speaks
 * (listener.security.protocol.map), its TLS key material (ssl.*) and SASL mechanisms (sasl.*),
 * each overridable per listener as listener.name.<listener>.<setting>. They are kept as raw
 * strings beside the typed broker settings because their names are open-ended (one set per
 * listener and per mechanism); this module resolves them for one listener.
 */
import { ConfigError } from '../errors.js';
import type { ListenerEndpoint } from './listeners.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const PROTOCOLS: ReadonlySet<string> = new Set(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);

/** Kafka's default listener.security.protocol.map: each protocol's name maps to itself. */
export const DEFAULT_PROTOCOL_MAP = 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL';

/** Settings read by name (the rest are the ssl.*, sasl.* and listener.name.* families). */
const NAMED = new Set([
  'listener.security.protocol.map',
  'security.inter.broker.protocol',
  'inter.broker.listener.name',
  'connection.failed.authentication.delay.ms',
  'connections.max.reauth.ms',
  'authorizer.class.name',
  'super.users',
  'allow.everyone.if.no.acl.found',
  'skiff.scram.credentials',
]);
const PREFIXES = ['ssl.', 'sasl.', 'listener.name.'];

/** Whether `key` is one of the security settings this module resolves. */
export function isSecuritySetting(key: string): boolean {
  return NAMED.has(key) || PREFIXES.some((p) => key.startsWith(p));
}

export type SecuritySettings = Readonly<Record<string, string>>;

/** The SASL mechanisms Skiff serves. */
export const SUPPORTED_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanism = (typeof SUPPORTED_MECHANISMS)[number];

export type ClientAuth = 'none' | 'requested' | 'required';

export interface ListenerSecurity {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  /** Setting lookup with the listener's override first: listener.name.<name>.<key>, then <key>. */
  get(key: string): string | undefined;
  /** Enabled SASL mechanisms (SASL_* listeners only; empty otherwise). */
  readonly mechanisms: readonly SaslMechanism[];
  /** The setting name a value came from (for error messages). */
  source(key: string): string;
}

/** The protocol of every listener name, from listener.security.protocol.map. */
export function protocolMap(settings: SecuritySettings): Map<string, SecurityProtocol> {
  const text = settings['listener.security.protocol.map'] ?? DEFAULT_PROTOCOL_MAP;
  const out = new Map<string, SecurityProtocol>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [name, protocol, extra] = entry.split(':').map((s) => s.trim().toUpperCase());
    if (name === undefined || name === '' || protocol === undefined || extra !== undefined || !PROTOCOLS.has(protocol)) {
      throw new ConfigError('listener.security.protocol.map', `"${entry}" is not LISTENER_NAME:PROTOCOL with a protocol of ${[...PROTOCOLS].join(', ')}`);
    }
    out.set(name, protocol as SecurityProtocol);
  }
  return out;
}

/** Resolves one listener's security settings; throws ConfigError naming the key when unusable. */
export function listenerSecurity(endpoint: ListenerEndpoint, settings: SecuritySettings): ListenerSecurity {
  const protocol = protocolMap(settings).get(endpoint.name);
  if (protocol === undefined) {
    throw new ConfigError('listener.security.protocol.map', `no security protocol defined for listener ${endpoint.name}`);
  }
  const prefix = `listener.name.${endpoint.name.toLowerCase()}.`;
  const overrides = new Map<string, string>();
  for (const [key, value] of Object.entries(settings)) {
    if (key.toLowerCase().startsWith(prefix)) overrides.set(key.slice(prefix.length), value);
  }
  const get = (key: string): string | undefined => overrides.get(key) ?? settings[key];
  const source = (key: string): string => (overrides.has(key) ? prefix + key : key);

  let mechanisms: SaslMechanism[] = [];
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    // Kafka's default is GSSAPI (Kerberos), which Skiff does not serve.
    const names = (get('sasl.enabled.mechanisms') ?? 'GSSAPI').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
    const unsupported = names.filter((n) => !(SUPPORTED_MECHANISMS as readonly string[]).includes(n));
    if (unsupported.length > 0 || names.length === 0) {
      throw new ConfigError(
        source('sasl.enabled.mechanisms'),
        `listener ${endpoint.name} needs SASL mechanisms Skiff serves (${SUPPORTED_MECHANISMS.join(', ')}); ${unsupported.length > 0 ? `${unsupported.join(', ')} is not one` : 'none given'}`,
      );
    }
    mechanisms = names as SaslMechanism[];
    // Kafka's two validators are served (unsecured, and signed JWTs against a JWKS); another
    // class must not silently become a weaker check.
    const handlerKey = 'oauthbearer.sasl.server.callback.handler.class';
    const handler = oauthValidator(get(handlerKey));
    if (mechanisms.includes('OAUTHBEARER') && handler === undefined) {
      throw new ConfigError(source(handlerKey), `Skiff validates OAUTHBEARER tokens as Kafka's OAuthBearerUnsecuredValidatorCallbackHandler or OAuthBearerValidatorCallbackHandler does; ${get(handlerKey)} is not supported`);
    }
  }
  return { name: endpoint.name, protocol, get, mechanisms, source };
}

/** Which of Kafka's OAUTHBEARER validators a callback handler class names (unset: the unsecured one). */
export function oauthValidator(handlerClass: string | undefined): 'unsecured' | 'signed' | undefined {
  const name = handlerClass?.trim() ?? '';
  if (name === '' || name.endsWith('.OAuthBearerUnsecuredValidatorCallbackHandler')) return 'unsecured';
  if (name === 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler' || name === 'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler') return 'signed';
  return undefined;
}

/** True for protocols carried over TLS. */
export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

/** connection.failed.authentication.delay.ms (Kafka's default 100). */
export function failedAuthenticationDelayMs(settings: SecuritySettings): number {
  return nonNegativeInt(settings, 'connection.failed.authentication.delay.ms', 100);
}

/** connections.max.reauth.ms (0: sessions do not expire). */
export function maxReauthMs(settings: SecuritySettings): number {
  return nonNegativeInt(settings, 'connections.max.reauth.ms', 0);
}

function nonNegativeInt(settings: SecuritySettings, key: string, fallback: number): number {
  const text = settings[key];
  if (text === undefined) return fallback;
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(key, `expected a non-negative integer, got "${text}"`);
  return n;
}
