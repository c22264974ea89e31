import type { Logger } from './log.js';

/**
 * Runtime log levels per area (BROKER_LOGGER resources). Kafka names log4j loggers; Skiff
 * names one pino child logger per area of the broker ("skiff.storage", ...) under "root".
 * Pino children inherit their parent's level until given their own, so a level set on an
 * area also reaches the loggers made from it (partitions, connections).
 */

/** The log4j levels Kafka accepts for a logger, in the order its error message lists them. */
export const KAFKA_LOG_LEVELS = ['DEBUG', 'ERROR', 'FATAL', 'INFO', 'TRACE', 'WARN'] as const;

export const ROOT_LOGGER = 'root';

function toKafka(pinoLevel: string): string {
  return pinoLevel === 'silent' ? 'OFF' : pinoLevel.toUpperCase();
}

export class LoggerLevels {
  readonly #areas = new Map<string, Logger>();
  /** Areas given their own level; the others follow root. */
  readonly #own = new Set<string>();

  constructor(readonly root: Logger) {}

  /** The logger of one area of the broker, e.g. child('storage') is "skiff.storage". */
  child(area: string): Logger {
    const name = `skiff.${area}`;
    let logger = this.#areas.get(name);
    if (logger === undefined) {
      logger = this.root.child({ component: area });
      this.#areas.set(name, logger);
    }
    return logger;
  }

  has(name: string): boolean {
    return name === ROOT_LOGGER || this.#areas.has(name);
  }

  /** Every logger and its level as log4j names it, sorted by name as Kafka lists them. */
  list(): Array<{ name: string; level: string }> {
    const out = [{ name: ROOT_LOGGER, level: toKafka(this.root.level) }];
    for (const [name, logger] of this.#areas) out.push({ name, level: toKafka(logger.level) });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Sets a level given in Kafka's terms (one of KAFKA_LOG_LEVELS). */
  set(name: string, kafkaLevel: string): void {
    const level = kafkaLevel.toLowerCase();
    if (name === ROOT_LOGGER) {
      this.root.level = level;
      // Areas with a level of their own keep it; pino children that never had one follow by inheritance.
      for (const [area, logger] of this.#areas) if (!this.#own.has(area)) logger.level = level;
      return;
    }
    const logger = this.#areas.get(name);
    if (logger === undefined) return;
    logger.level = level;
    this.#own.add(name);
  }

  /** Drops an area's own level: it follows root again. */
  unset(name: string): void {
    const logger = this.#areas.get(name);
    if (logger === undefined) return;
    this.#own.delete(name);
    logger.level = this.root.level;
  }
}
