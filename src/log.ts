import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { prettyDestination } from './log-pretty.js';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Wins over SKIFF_LOG_LEVEL, which wins over `defaultLevel`. */
  level?: string;
  /** Used when neither `level` nor SKIFF_LOG_LEVEL is set. */
  defaultLevel?: LogLevel;
  /** Where JSON lines go; stdout when omitted. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
  /** Extra fields on every line, e.g. { nodeId: 1 }. */
  base?: Record<string, unknown>;
  /** 'pretty': the human format of log-pretty.ts on stdout (the CLI on a terminal). Default 'json'. */
  format?: LogFormat;
}

export type LogFormat = 'json' | 'pretty';

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The one way Skiff makes a logger: JSON lines, or on a terminal a short human format.
 * Components take `logger.child({ component })` from it.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  // An empty SKIFF_LOG_LEVEL (`SKIFF_LOG_LEVEL= skiff start`) counts as unset.
  const fromEnv = process.env.SKIFF_LOG_LEVEL?.trim() || undefined;
  const level = (opts.level ?? fromEnv ?? opts.defaultLevel ?? 'info').toLowerCase();
  if (!isLogLevel(level)) {
    throw new Error(`unknown log level "${level}": expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const options = {
    level,
    base: { name: 'skiff', ...opts.base },
    // ISO timestamps make lines readable without tooling and sort the same as epoch millis.
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const destination = opts.destination ?? (opts.format === 'pretty' ? prettyDestination(process.stdout) : undefined);
  return destination ? pino(options, destination) : pino(options);
}

/** For embedded callers and tests that want no output at all. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
