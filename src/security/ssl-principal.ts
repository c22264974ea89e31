/**
 * The principal of a TLS client: its certificate's subject as an RFC 2253 distinguished name
 * (what Java's X500Principal.getName() gives Kafka), rewritten by ssl.principal.mapping.rules.
 */
import { ConfigError } from '../errors.js';

interface Rule {
  pattern: RegExp | null; // null: DEFAULT
  replacement: string;
  caseChange: '' | 'L' | 'U';
}

export type PrincipalMapper = (distinguishedName: string) => string;

/** Parses ssl.principal.mapping.rules (Kafka's syntax: RULE:pattern/replacement/[LU], ..., DEFAULT). */
export function parseMappingRules(text: string | undefined, key = 'ssl.principal.mapping.rules'): PrincipalMapper {
  const rules: Rule[] = [];
  let rest = (text ?? 'DEFAULT').trim();
  while (rest !== '') {
    if (rest.startsWith('DEFAULT')) {
      rules.push({ pattern: null, replacement: '', caseChange: '' });
      rest = rest.slice('DEFAULT'.length);
    } else if (rest.startsWith('RULE:')) {
      const [pattern, afterPattern] = untilSlash(rest, 'RULE:'.length, key);
      const [replacement, afterReplacement] = untilSlash(rest, afterPattern, key);
      let i = afterReplacement;
      let caseChange: Rule['caseChange'] = '';
      if (rest[i] === 'L' || rest[i] === 'U') caseChange = rest[i++] as 'L' | 'U';
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${pattern})$`);
      } catch (err) {
        throw new ConfigError(key, `invalid pattern "${pattern}": ${(err as Error).message}`);
      }
      rules.push({ pattern: regex, replacement: replacement.replace(/\\\//g, '/'), caseChange });
      rest = rest.slice(i);
    } else {
      throw new ConfigError(key, `invalid rule at "${rest}": expected RULE:pattern/replacement/ or DEFAULT`);
    }
    rest = rest.trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
    else if (rest !== '') throw new ConfigError(key, `invalid rule at "${rest}": rules are separated by commas`);
  }
  return (dn) => {
    for (const rule of rules) {
      if (rule.pattern === null) return dn;
      if (!rule.pattern.test(dn)) continue;
      const mapped = dn.replace(rule.pattern, rule.replacement);
      return rule.caseChange === 'L' ? mapped.toLowerCase() : rule.caseChange === 'U' ? mapped.toUpperCase() : mapped;
    }
    return dn; // no rule matched: Kafka keeps the name as it is
  };
}

/** Reads up to the next slash not escaped by a backslash; returns the text and the index after the slash. */
function untilSlash(text: string, from: number, key: string): [string, number] {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '/') return [text.slice(from, i), i + 1];
  }
  throw new ConfigError(key, `invalid rule "${text}": expected RULE:pattern/replacement/`);
}

/**
 * RFC 2253 form of a subject as node:crypto's X509Certificate.subject prints it (one
 * attribute per line, most significant first): least significant first, comma-separated.
 */
export function rfc2253(subject: string): string {
  return subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map((line) => {
      const eq = line.indexOf('=');
      return `${line.slice(0, eq)}=${escapeValue(line.slice(eq + 1))}`;
    })
    .join(',');
}

function escapeValue(value: string): string {
  return value.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}
