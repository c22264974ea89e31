/**
 * Security settings Skiff cannot honour yet. Kafka would encrypt, authenticate or authorize
 * with them; a broker that ignored them would serve unauthenticated plaintext to clients
 * configured to expect otherwise, so each one stops startup with its key named.
 */
import { parseListeners } from './listeners.js';

const REFUSED_PREFIXES = ['ssl.', 'sasl.'];
/** Per-listener overrides: listener.name.<listener>.ssl.keystore.location and friends. */
const PER_LISTENER = /^listener\.name\.[^.]+\.(ssl|sasl|[^.]+\.sasl)\./i;
const PLAINTEXT = 'PLAINTEXT';
const SECURITY_PROTOCOLS = new Set(['SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);

const UNSUPPORTED = 'TLS, SASL and authorization are not supported by Skiff yet';

/** Why `key` set to `value` cannot be honoured, or undefined when it can (or is not a security setting). */
export function refusedSecuritySetting(key: string, value: unknown): string | undefined {
  const text = value === null || value === undefined ? '' : String(value).trim();
  if (REFUSED_PREFIXES.some((p) => key.startsWith(p)) || PER_LISTENER.test(key)) return `${UNSUPPORTED}; remove this setting`;
  switch (key) {
    case 'authorizer.class.name':
      return text === '' ? undefined : `${UNSUPPORTED}; Skiff allows every request`;
    case 'security.inter.broker.protocol':
      return text === '' || text.toUpperCase() === PLAINTEXT ? undefined : `${UNSUPPORTED}; only PLAINTEXT is served, got "${text}"`;
    case 'listener.security.protocol.map': {
      const secured = text
        .split(',')
        .map((e) => e.trim().split(':'))
        .filter(([, protocol]) => protocol !== undefined && protocol.trim().toUpperCase() !== PLAINTEXT);
      return secured.length === 0 ? undefined : `${UNSUPPORTED}; ${secured.map((e) => e.join(':')).join(', ')} would need them`;
    }
    case 'listeners':
    case 'advertised.listeners': {
      let names: string[];
      try {
        names = parseListeners(text).map((e) => e.name);
      } catch {
        return undefined; // malformed: the setting's own check says why
      }
      const secured = names.filter((n) => SECURITY_PROTOCOLS.has(n));
      return secured.length === 0 ? undefined : `${UNSUPPORTED}; listener ${secured.join(', ')} cannot be served`;
    }
    default:
      return undefined;
  }
}
