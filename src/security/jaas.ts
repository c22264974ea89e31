/**
 * Kafka's sasl.jaas.config value: `<LoginModule class> <flag> key="value" key=value ...;`.
 * Only the options matter to Skiff (PLAIN's user_<name>="<password>" entries).
 */
import { ConfigError } from '../errors.js';

export interface JaasEntry {
  loginModule: string;
  flag: string;
  options: ReadonlyMap<string, string>;
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

export function parseJaasConfig(text: string, key: string): JaasEntry {
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const word = (): string => {
    skipSpace();
    const start = i;
    while (i < text.length && !/[\s=;"]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  const loginModule = word();
  const flag = word().toLowerCase();
  if (loginModule === '' || !FLAGS.has(flag)) {
    throw new ConfigError(key, 'expected "<LoginModule> required key="value" ...;" (JAAS syntax)');
  }
  const options = new Map<string, string>();
  for (;;) {
    skipSpace();
    if (text[i] === ';') break;
    if (i >= text.length) throw new ConfigError(key, 'JAAS entry must end with ";"');
    const name = word();
    skipSpace();
    if (name === '' || text[i] !== '=') throw new ConfigError(key, `expected key=value at "${text.slice(i, i + 20)}"`);
    i++;
    skipSpace();
    let value: string;
    if (text[i] === '"') {
      let out = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        out += text[i++];
      }
      if (text[i] !== '"') throw new ConfigError(key, `unterminated quoted value for ${name}`);
      i++;
      value = out;
    } else {
      value = word();
    }
    options.set(name, value);
  }
  skipSpace();
  i++;
  skipSpace();
  if (i < text.length) throw new ConfigError(key, 'Skiff reads one login module per sasl.jaas.config');
  return { loginModule, flag, options };
}
