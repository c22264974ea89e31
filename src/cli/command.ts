/** What every CLI command group provides to the dispatcher (src/cli/index.ts). */
import type { ParseArgsConfig } from 'node:util';
import { UsageError, type Cluster } from './client.js';

export type Flags = Record<string, string | boolean | string[] | undefined>;

export interface Context {
  /** Connects on first call (commands that fail on their arguments never touch the network). */
  cluster(): Promise<Cluster>;
  json: boolean;
}

export interface CommandGroup {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: Context, args: string[], flags: Flags): Promise<void>;
}

export function intFlag(flags: Flags, name: string, min: number, fallback?: number): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`--${name} expects an integer >= ${min}, got "${String(raw)}"`);
  }
  return Number(raw);
}

export function stringList(flags: Flags, name: string): string[] {
  const raw = flags[name];
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
}

/** KEY=VALUE pairs from a repeatable flag. */
export function keyValues(flags: Flags, name: string): Array<[string, string]> {
  return stringList(flags, name).map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${name} expects KEY=VALUE, got "${pair}"`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
}

export function oneSubcommand(args: string[], known: readonly string[], group: string): [string, string[]] {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new UsageError(`${group}: missing subcommand (${known.join(', ')})`);
  if (!known.includes(sub)) throw new UsageError(`${group}: unknown subcommand "${sub}" (${known.join(', ')})`);
  return [sub, rest];
}
