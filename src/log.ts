import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

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
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The one way Skiff makes a logger: JSON lines, no pretty printing (pipe into pino-pretty
 * when a human reads them). Components take `logger.child({ component })` from it.
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
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** For embedded callers and tests that want no output at all. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
