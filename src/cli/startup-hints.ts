/**
 * What `skiff start` prints when it cannot start: the problem in one line, then what to do
 * about it. Node's raw texts (parseArgs, EADDRINUSE) name the cause but not the way out.
 */
// A type only: the storage modules load with the broker, after the early bind, not before it.
import type { DataDirError } from '../storage/index.js';

/** A failure already phrased for the user: message, then "hint: ..." on its own line. */
export class StartupError extends Error {
  constructor(problem: string, hint: string) {
    super(`${problem}\nhint: ${hint}`);
    this.name = 'StartupError';
  }
}

/** For a parseArgs error; `known` are the long option names of the command. */
export function explainArgsError(err: unknown, known: readonly string[]): Error {
  const e = err as NodeJS.ErrnoException;
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined) {
    const near = closest(unknown.replace(/^-+/, ''), known);
    return new StartupError(
      `unknown option ${unknown}`,
      `${near !== undefined ? `did you mean --${near}? ` : ''}\`skiff --help\` lists the options`,
    );
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /Option '(?:-\w, )?(--[\w-]+)/.exec(e.message)?.[1] ?? 'an option';
    return new StartupError(`${option} needs a value`, `write it as ${option} VALUE; \`skiff --help\` lists the options`);
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new StartupError(e.message, '`skiff --help` lists the commands and options');
  }
  return e instanceof Error ? e : new Error(String(err));
}

/** For a failure while starting the broker: a port in use, a data directory it cannot write. */
export function explainStartupError(err: unknown): Error {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if ((e as Partial<DataDirError> | undefined)?.name === 'DataDirError') {
    return new StartupError(e.message, '--data-dir DIR names a writable folder; --memory keeps nothing on disk');
  }
  if (e.syscall === 'listen' || e.syscall === 'bind') {
    const where = e.address !== undefined ? `${e.address}:${e.port}` : 'the listener address';
    if (e.code === 'EADDRINUSE') {
      return new StartupError(`${where} is already in use (another Skiff or Kafka running?)`, '--port 0 picks a free port; --port N chooses another');
    }
    if (e.code === 'EACCES') {
      return new StartupError(`not allowed to listen on ${where}`, 'ports below 1024 need privileges: --port 9092, or --port 0 for a free one');
    }
    if (e.code === 'EADDRNOTAVAIL') {
      return new StartupError(`${where} is not an address of this machine`, '--host 127.0.0.1 for this machine only, --host 0.0.0.0 for every interface');
    }
  }
  return e instanceof Error ? e : new Error(String(err));
}

/** The option within two edits of `name`, if one is. */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
