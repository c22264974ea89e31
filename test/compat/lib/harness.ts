/**
 * Shared harness for the JavaScript client suites: runs named scenarios one after another,
 * each under a time limit, and prints one JSON line per scenario in the format test/compat/run.ts
 * reads. Scenario functions return normalized JSON (no timestamps, node ids, cluster or topic
 * ids: anything broker-specific is reduced to what Kafka guarantees).
 */
export type Scenario = () => Promise<unknown>;

export interface HarnessOptions {
  client: string;
  versions: Record<string, string>;
  scenarios: Record<string, Scenario>;
  /** Per-scenario limit; COMPAT_SCENARIO_TIMEOUT_MS overrides. */
  timeoutMs?: number;
}

export const bootstrap = process.argv[2] ?? process.env.COMPAT_BOOTSTRAP ?? '127.0.0.1:9092';
export const target = process.argv[3] ?? process.env.COMPAT_TARGET ?? 'unknown';

function emit(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 500);
  return String(err).slice(0, 500);
}

export async function runScenarios(opts: HarnessOptions): Promise<void> {
  if (process.env.COMPAT_LIST) {
    // Scenario names, one a line (for keeping scenarios.json in step).
    for (const name of Object.keys(opts.scenarios)) process.stdout.write(`${name}\n`);
    return;
  }
  emit({ client: opts.client, versions: opts.versions });
  const only = process.env.COMPAT_ONLY?.split(',');
  const limit = Number(process.env.COMPAT_SCENARIO_TIMEOUT_MS ?? opts.timeoutMs ?? 30_000);
  for (const [name, fn] of Object.entries(opts.scenarios)) {
    if (only && !only.includes(name)) continue;
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        fn(),
        new Promise((_, rej) => {
          timer = setTimeout(() => rej(new Error(`timed out after ${limit} ms`)), limit);
        }),
      ]);
      emit({ client: opts.client, scenario: name, ok: true, result: result ?? null });
    } catch (err) {
      emit({ client: opts.client, scenario: name, ok: false, error: describeError(err) });
    } finally {
      clearTimeout(timer);
      process.stderr.write(`[${opts.client}@${target}] ${name} ${Date.now() - t0} ms\n`);
    }
  }
}

/** Polls `cond` until it is true or `ms` pass. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
