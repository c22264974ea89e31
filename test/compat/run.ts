/**
 * The compatibility runner (`make compat`): starts real Apache Kafka (kafka/kafka.sh) and Skiff
 * once each, runs every client suite against both, compares the normalized results, prints a
 * client x scenario matrix and writes COMPAT.md at the repository root.
 *
 * A client suite is a folder test/compat/<client>/ holding:
 *   run             executable: `run <bootstrap> <target>` (target is "kafka" or "skiff");
 *                   env COMPAT_DATA_DIR = the broker's log dir, COMPAT_TARGET = target.
 *                   Prints JSON lines on stdout:
 *                     {"client": "kafkajs", "versions": {...}}                  (once)
 *                     {"scenario": "name", "ok": true, "result": <normalized JSON>}
 *                     {"scenario": "name", "ok": false, "error": "message"}
 *                   A suite can hold several clients (java: two client releases + the CLI):
 *                   lines may carry "client": "java-4.3.1" to say which one.
 *   scenarios.json  {"client or suite name": {"scenario": "what it checks", ...}} or a flat
 *                   {"scenario": "what it checks"} for a one-client suite
 *   allowlist.json  {"client/scenario" or "scenario": "why it is expected to fail today"}
 *   FINDINGS.md     what differs from Kafka and why
 *
 * The suite in security/ runs against its own pair of brokers, started only when it is picked: Kafka
 * with kafka.sh's security profile (SASL_PLAINTEXT, SSL, MTLS and SASL_SSL listeners, SCRAM users,
 * StandardAuthorizer; key material from security/certs.sh) and Skiff with the same settings. Its
 * run gets the SASL_PLAINTEXT address as bootstrap, COMPAT_LISTENERS (NAME=host:port,...) and
 * COMPAT_CERTS (the key material's dir).
 *
 * Outcomes per cell: pass (ran on both, results equal), FAIL (error on Skiff), DIFF (both ran,
 * results differ), allowed (FAIL or DIFF, allowlisted), BROKEN (the scenario failed against real
 * Kafka: a bug in the suite), XPASS (allowlisted but passes now: remove it from the allowlist),
 * RETRY (FAIL, DIFF or BROKEN at first, pass when the scenario ran again on both brokers).
 * Exit status 0 unless some cell is FAIL, DIFF or BROKEN.
 *
 * Usage: tsx test/compat/run.ts [--clients a,b (suites, or clients such as kafka-cli)] [--only scenario,...] [--skiff-only] [--no-md] [--no-retry]
 *                                [--skiff HOST:PORT --skiff-data DIR]
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, openSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../support/free-port.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const KAFKA_SH = join(HERE, 'kafka', 'kafka.sh');
const KAFKA_STATE = process.env.KAFKA_STATE ?? join(REPO, '.cache', 'kafka', 'compat-run');
const RESULTS = join(REPO, '.cache', 'compat', 'results');
/** The generated report, at the repository root (COMPAT_MD overrides). */
const COMPAT_MD = process.env.COMPAT_MD ?? join(HERE, '..', '..', 'COMPAT.md');
/**
 * A bound per suite and broker. The java suite is the longest: two clients, Kafka Streams, the
 * AdminClient sweep and some sixty CLI tool runs, each its own JVM (about 5 minutes against
 * Kafka on 2 busy cores).
 */
const SUITE_TIMEOUT_MS = Number(process.env.COMPAT_SUITE_TIMEOUT_MS ?? 900_000);

const { values: flags } = parseArgs({
  options: {
    clients: { type: 'string' },
    only: { type: 'string' },
    'skiff-only': { type: 'boolean' },
    // An already running Skiff (e.g. the compose service) instead of starting one; its log.dirs
    // (for kafka-dump-log) is --skiff-data.
    skiff: { type: 'string' },
    'skiff-data': { type: 'string' },
    'no-md': { type: 'boolean' },
    'no-retry': { type: 'boolean' },
  },
});

type Outcome = 'pass' | 'FAIL' | 'DIFF' | 'allowed' | 'BROKEN' | 'XPASS' | 'RETRY' | 'n/a';
interface Line {
  client?: string;
  scenario?: string;
  ok?: boolean;
  result?: unknown;
  error?: string;
  versions?: Record<string, string>;
}
interface Cell {
  suite: string;
  client: string;
  scenario: string;
  outcome: Outcome;
  detail: string;
  allowReason?: string;
  /** The normalized results, for tables that show both (the AdminClient sweep). */
  kafkaResult?: unknown;
  skiffResult?: unknown;
  /** What the first run showed, for a cell that passed only when run again. */
  firstDetail?: string;
}

/** The suite run against the security profile's brokers (see startSecurityBrokers). */
const SECURITY_SUITE = 'security';

/** The java suite's AdminClient sweep: one scenario per Admin method, shown as its own table. */
const SWEEP_CLIENT = 'admin-sweep';

function log(msg: string): void {
  process.stderr.write(`[compat] ${msg}\n`);
}

// ---------------------------------------------------------------------------------- brokers

async function startSkiff(dataDir: string, logFile: string, args = ['--port', '0']): Promise<{ bootstrap: string; stop: () => Promise<void> }> {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, [join(REPO, 'bin', 'skiff.js'), 'start', ...args, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', out],
  });
  const bootstrap = await new Promise<string>((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error('Skiff did not report listening within 20s')), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      writeFileSync(logFile, chunk, { flag: 'a' });
      const m = /Skiff listening on ([^"\s]+:\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    child.once('exit', (code) => rej(new Error(`Skiff exited with ${code} during startup (log: ${logFile})`)));
  });
  child.stdout!.removeAllListeners('data');
  child.stdout!.on('data', (chunk: Buffer) => writeFileSync(logFile, chunk, { flag: 'a' }));
  return {
    bootstrap,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

function kafkaSh(state: string, ...args: string[]): string {
  return execFileSync(KAFKA_SH, args, { env: { ...process.env, KAFKA_STATE: state }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** Stops a Skiff and the Kafka of a kafka.sh state folder, each when given (a stopped Kafka is no error). */
async function stopBrokers(skiff: { stop(): Promise<void> } | undefined, kafkaState: string | undefined): Promise<void> {
  await skiff?.stop();
  if (kafkaState === undefined) return;
  try {
    kafkaSh(kafkaState, 'stop');
  } catch {}
}

/** Starts Kafka through kafka.sh (`extraEnv`: e.g. KAFKA_SECURITY) and reads back `kafka.sh env`. */
async function startKafka(state: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> {
  await new Promise<void>((res, rej) => {
    const c = spawn(KAFKA_SH, ['start'], { env: { ...process.env, ...extraEnv, KAFKA_STATE: state }, stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('close', (code) => (code === 0 ? res() : rej(new Error(`kafka.sh start failed (${code})`))));
  });
  return Object.fromEntries(
    kafkaSh(state, 'env')
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** A broker a suite runs against; listeners (NAME=host:port,...) for the security profile only. */
interface Target {
  bootstrap: string;
  dataDir: string;
  listeners: string;
}

/** The brokers a suite's retry runs on, given the first run's; `stop` ends any it started. */
type RetryTargets = (k: Target | undefined, s: Target) => Promise<{ k: Target | undefined; s: Target; stop: () => Promise<void> }>;

/** A retry on the first run's brokers. */
const sameBrokers: RetryTargets = async (k, s) => ({ k, s, stop: async () => {} });

/**
 * The security profile: key material from security/certs.sh, Kafka from kafka.sh with
 * KAFKA_SECURITY, and Skiff from a config file holding the same security settings (kafka.sh's
 * security-props, its SCRAM users as skiff.scram.credentials) on listeners of the same names.
 */
async function startSecurityBrokers(work: string): Promise<{ kafka?: Target & { version: string }; skiff: Target; certs: string; stop: () => Promise<void> }> {
  const certs = join(work, 'certs');
  execFileSync(join(HERE, SECURITY_SUITE, 'certs.sh'), [certs], { stdio: ['ignore', 'ignore', 'inherit'] });
  const state = `${KAFKA_STATE}-security`;
  let kafkaUp = false;
  let skiff: Awaited<ReturnType<typeof startSkiff>> | undefined;
  const stop = () => stopBrokers(skiff, kafkaUp ? state : undefined);
  try {
    const kafkaStart = flags['skiff-only'] ? undefined : startKafka(state, { KAFKA_SECURITY: certs }).then((env) => ((kafkaUp = true), env));
    const settings: Record<string, string> = {};
    for (const line of execFileSync(KAFKA_SH, ['security-props'], { env: { ...process.env, KAFKA_SECURITY: certs }, encoding: 'utf8' }).split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) settings[line.slice(0, eq)] = line.slice(eq + 1);
    }
    settings['skiff.scram.credentials'] = execFileSync(KAFKA_SH, ['security-scram'], { encoding: 'utf8' }).trim().split('\n').join(',');
    const names = ['SASL_PLAINTEXT', 'SSL', 'MTLS', 'SASL_SSL'];
    const ports: number[] = [];
    for (const _ of names) ports.push(await freePort());
    settings.listeners = names.map((n, i) => `${n}://127.0.0.1:${ports[i]}`).join(',');
    const configFile = join(work, 'skiff-security.yaml');
    // JSON is YAML: every value stays a string, whatever its characters.
    writeFileSync(configFile, JSON.stringify(settings, null, 1));
    const dataDir = join(work, 'skiff-security-data');
    skiff = await startSkiff(dataDir, join(work, 'skiff-security.log'), ['--config', configFile]);
    const env = await kafkaStart;
    return {
      kafka: env && { bootstrap: env.KAFKA_BOOTSTRAP!, dataDir: env.KAFKA_DATA_DIR!, listeners: env.KAFKA_LISTENERS!, version: env.KAFKA_VERSION! },
      skiff: { bootstrap: `127.0.0.1:${ports[0]}`, dataDir, listeners: names.map((n, i) => `${n}=127.0.0.1:${ports[i]}`).join(',') },
      certs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------- suites

function readJson<T>(file: string, fallback: T): T {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : fallback;
}

/**
 * The suites to run. --clients names suites (folders) or single clients of a multi-client suite
 * (e.g. kafka-cli in java/): such a suite runs with COMPAT_CLIENTS set to the clients wanted
 * (suites that hold several clients may skip the others) and only their cells are compared.
 */
const clientsOf = new Map<string, string[]>();

function suites(): string[] {
  const all = readdirSync(HERE)
    .filter((d) => existsSync(join(HERE, d, 'run')) && statSync(join(HERE, d)).isDirectory())
    .sort();
  if (!flags.clients) return all;
  const picked = new Set<string>();
  for (const w of flags.clients.split(',')) {
    if (all.includes(w)) {
      picked.add(w);
      continue;
    }
    // A client can be in several suites (kafka-cli: java/ and security/).
    const holders = all.filter((d) => scenarioList(d).has(w));
    if (holders.length === 0) throw new Error(`no client suite or client ${w} (suites: ${all.join(', ')})`);
    for (const suite of holders) {
      picked.add(suite);
      clientsOf.set(suite, [...(clientsOf.get(suite) ?? []), w]);
    }
  }
  // A suite named whole runs whole, even if one of its clients was named too.
  for (const w of flags.clients.split(',')) if (all.includes(w)) clientsOf.delete(w);
  return all.filter((d) => picked.has(d));
}

interface SuiteRun {
  lines: Line[];
  stderrTail: string;
  exit: string;
  ms: number;
}

function runSuite(suite: string, bootstrap: string, target: string, dataDir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<SuiteRun> {
  const t0 = Date.now();
  return new Promise((res) => {
    const env: NodeJS.ProcessEnv = { ...process.env, COMPAT_TARGET: target, COMPAT_DATA_DIR: dataDir, KAFKA_STATE, ...extraEnv };
    env.COMPAT_ONLY ??= flags.only;
    if (clientsOf.has(suite)) env.COMPAT_CLIENTS = clientsOf.get(suite)!.join(',');
    const child = spawn(join(HERE, suite, 'run'), [bootstrap, target], { cwd: join(HERE, suite), env, detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.length > 200_000) err = err.slice(-100_000);
    });
    const timer = setTimeout(() => {
      err += `\n[compat] suite ${suite} against ${target} killed after ${SUITE_TIMEOUT_MS} ms`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }, SUITE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines: Line[] = [];
      for (const l of out.split('\n')) {
        const t = l.trim();
        if (!t.startsWith('{')) continue;
        try {
          lines.push(JSON.parse(t) as Line);
        } catch {}
      }
      // Kept for digging into differences: .cache/compat/results/<suite>-<target>.jsonl / .stderr
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(join(RESULTS, `${suite}-${target}.jsonl`), out);
      writeFileSync(join(RESULTS, `${suite}-${target}.stderr`), err);
      res({ lines, stderrTail: err.split('\n').slice(-15).join('\n'), exit: signal ?? String(code), ms: Date.now() - t0 });
    });
  });
}

// ---------------------------------------------------------------------------------- compare

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = canonical((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

function diffPaths(a: unknown, b: unknown, path = '$', out: string[] = []): string[] {
  if (out.length >= 6) return out;
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) diffPaths((a as any)[k], (b as any)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`, out);
    return out;
  }
  const show = (x: unknown) => {
    const s = JSON.stringify(x) ?? 'undefined';
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  };
  out.push(`${path}: kafka=${show(a)} skiff=${show(b)}`);
  return out;
}

function byClient(lines: Line[], suite: string): Map<string, Map<string, Line>> {
  const m = new Map<string, Map<string, Line>>();
  for (const l of lines) {
    if (!l.scenario) continue;
    const c = l.client ?? suite;
    if (!m.has(c)) m.set(c, new Map());
    m.get(c)!.set(l.scenario, l);
  }
  return m;
}

function scenarioList(suite: string): Map<string, Record<string, string>> {
  const raw = readJson<Record<string, unknown>>(join(HERE, suite, 'scenarios.json'), {});
  const m = new Map<string, Record<string, string>>();
  const flat = Object.values(raw).every((v) => typeof v === 'string');
  if (flat) m.set(suite, raw as Record<string, string>);
  else for (const [c, s] of Object.entries(raw)) m.set(c, s as Record<string, string>);
  return m;
}

function compare(suite: string, kafka: SuiteRun | undefined, skiff: SuiteRun, only = flags.only?.split(',')): Cell[] {
  const allow = readJson<Record<string, string>>(join(HERE, suite, 'allowlist.json'), {});
  const k = byClient(kafka?.lines ?? [], suite);
  const s = byClient(skiff.lines, suite);
  const cells: Cell[] = [];
  for (const [client, scenarios] of scenarioList(suite)) {
    if (clientsOf.has(suite) && !clientsOf.get(suite)!.includes(client)) continue;
    for (const scenario of Object.keys(scenarios)) {
      if (only && !only.includes(scenario)) continue;
      const allowReason = allow[`${client}/${scenario}`] ?? allow[scenario];
      const kl = k.get(client)?.get(scenario);
      const sl = s.get(client)?.get(scenario);
      let outcome: Outcome;
      let detail = '';
      if (kafka && !kl) {
        outcome = 'BROKEN';
        detail = `no result against Kafka (suite exit ${kafka.exit}): ${kafka.stderrTail.split('\n').slice(-3).join(' | ')}`;
      } else if (kafka && !kl!.ok) {
        outcome = 'BROKEN';
        detail = `failed against real Kafka: ${kl!.error}`;
      } else if (!sl) {
        outcome = 'FAIL';
        detail = `no result against Skiff (suite exit ${skiff.exit}): ${skiff.stderrTail.split('\n').slice(-3).join(' | ')}`;
      } else if (!sl.ok) {
        outcome = 'FAIL';
        detail = sl.error ?? 'error';
      } else if (!kafka) {
        outcome = 'pass';
        detail = 'Skiff only (not compared)';
      } else {
        const d = diffPaths(canonical(kl!.result), canonical(sl.result));
        outcome = d.length === 0 ? 'pass' : 'DIFF';
        detail = d.join('; ');
      }
      if (allowReason !== undefined) {
        if (outcome === 'FAIL' || outcome === 'DIFF') outcome = 'allowed';
        else if (outcome === 'pass') outcome = 'XPASS';
      }
      cells.push({ suite, client, scenario, outcome, detail, allowReason, kafkaResult: kl?.result, skiffResult: sl?.result });
    }
  }
  return cells;
}

// ---------------------------------------------------------------------------------- output

function isUnexpected(c: Cell): boolean {
  return c.outcome === 'FAIL' || c.outcome === 'DIFF' || c.outcome === 'BROKEN';
}

const SYMBOL: Record<Outcome, string> = {
  pass: 'pass',
  FAIL: 'FAIL',
  DIFF: 'differs',
  allowed: 'allowed-fail',
  BROKEN: 'BROKEN',
  XPASS: 'pass (allowlisted)',
  RETRY: 'pass on retry',
  'n/a': '-',
};

function matrix(cells: Cell[]): { clients: string[]; scenarios: string[]; at: (c: string, s: string) => Cell | undefined } {
  const clients = [...new Set(cells.map((c) => c.client))];
  const scenarios = [...new Set(cells.map((c) => c.scenario))];
  const idx = new Map(cells.map((c) => [`${c.client}\u0000${c.scenario}`, c]));
  return { clients, scenarios, at: (c, s) => idx.get(`${c}\u0000${s}`) };
}

function printMatrix(cells: Cell[]): void {
  const { clients, scenarios, at } = matrix(cells);
  const w0 = Math.max(8, ...scenarios.map((s) => s.length));
  const ws = clients.map((c) => Math.max(c.length, 18));
  const row = (first: string, rest: string[]) => `${first.padEnd(w0)}  ${rest.map((r, i) => r.padEnd(ws[i]!)).join('  ')}`;
  console.log(row('scenario', clients));
  console.log(row('-'.repeat(w0), ws.map((w) => '-'.repeat(w))));
  for (const s of scenarios) console.log(row(s, clients.map((c) => SYMBOL[at(c, s)?.outcome ?? 'n/a'])));
}

/** The sweep's outcome text ("ok map", "error UnsupportedVersionException"), or the failure. */
function sweepOutcome(result: unknown): string {
  const outcome = (result as { outcome?: unknown } | undefined)?.outcome;
  return typeof outcome === 'string' ? outcome : 'no result';
}

function writeCompatMd(allCells: Cell[], versions: Record<string, Record<string, string>>, timing: string[], kafkaVersion: string): void {
  const cells = allCells.filter((c) => c.client !== SWEEP_CLIENT && c.suite !== SECURITY_SUITE);
  const sweep = allCells.filter((c) => c.client === SWEEP_CLIENT);
  const secure = allCells.filter((c) => c.suite === SECURITY_SUITE);
  const { clients, scenarios, at } = matrix(cells);
  const md: string[] = [];
  md.push('# Skiff compatibility matrix', '');
  md.push(`Generated by \`make compat\` (test/compat/run.ts) on ${new Date().toISOString().slice(0, 10)}. Every scenario ran`);
  md.push(`against Apache Kafka ${kafkaVersion} (KRaft, single node, test/compat/kafka/kafka.sh) and against Skiff;`);
  md.push('the normalized results are compared. Outcomes: **pass** (same result as Kafka), **FAIL** (error on');
  md.push('Skiff), **differs** (both ran, results differ), **allowed-fail** (FAIL or differs, listed in the');
  md.push("suite's allowlist.json), **BROKEN** (the scenario failed against Kafka itself), **pass (allowlisted)**");
  md.push('(passes now: take it off the allowlist), **pass on retry** (failed or differed once, passed when run');
  md.push('again on both brokers). See each suite\'s FINDINGS.md for details.', '');
  md.push(`| scenario | ${clients.join(' | ')} |`);
  md.push(`| --- | ${clients.map(() => '---').join(' | ')} |`);
  for (const s of scenarios) md.push(`| ${s} | ${clients.map((c) => SYMBOL[at(c, s)?.outcome ?? 'n/a']).join(' | ')} |`);
  if (sweep.length > 0) {
    md.push('', '## Java AdminClient sweep', '');
    md.push('Every public method of the Java `Admin` interface called once against each broker (java/AdminSweep.java,');
    md.push('client admin-sweep): the outcome is the result\'s shape or the exception class.', '');
    md.push('| Admin method | Apache Kafka | Skiff | outcome |', '| --- | --- | --- | --- |');
    for (const c of sweep) md.push(`| ${c.scenario} | ${sweepOutcome(c.kafkaResult)} | ${sweepOutcome(c.skiffResult)} | ${SYMBOL[c.outcome]} |`);
  }
  if (secure.length > 0) {
    const t = matrix(secure);
    md.push('', '## Security profile', '');
    md.push('The security suite (test/compat/security) against both brokers started with the same TLS, mTLS, SASL and');
    md.push('ACL settings: listeners SASL_PLAINTEXT, SSL, MTLS and SASL_SSL, SCRAM users, StandardAuthorizer.', '');
    md.push(`| scenario | ${t.clients.join(' | ')} |`);
    md.push(`| --- | ${t.clients.map(() => '---').join(' | ')} |`);
    for (const s of t.scenarios) md.push(`| ${s} | ${t.clients.map((c) => SYMBOL[t.at(c, s)?.outcome ?? 'n/a']).join(' | ')} |`);
  }
  md.push('', '## Versions', '');
  md.push(`- Apache Kafka (reference broker and CLI tools): ${kafkaVersion}`);
  for (const [client, v] of Object.entries(versions)) md.push(`- ${client}: ${Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ')}`);
  md.push('', '## Known differences and expected failures', '');
  const known = allCells.filter((c) => c.outcome === 'allowed' || c.outcome === 'XPASS');
  if (known.length === 0) md.push('None.');
  for (const c of known) {
    md.push(`- **${c.client} / ${c.scenario}** (${SYMBOL[c.outcome]}): ${c.allowReason}`);
    if (c.detail && c.outcome === 'allowed') md.push(`  - observed: ${c.detail.replace(/\s+/g, ' ').slice(0, 400)}`);
  }
  const bad = allCells.filter(isUnexpected);
  md.push('', '## Unexpected failures in this run', '');
  if (bad.length === 0) md.push('None.');
  for (const c of bad) md.push(`- **${c.client} / ${c.scenario}** (${SYMBOL[c.outcome]}): ${c.detail.replace(/\s+/g, ' ').slice(0, 600)}`);
  const retried = allCells.filter((c) => c.outcome === 'RETRY');
  if (retried.length > 0) {
    md.push('', '## Passed only when run again', '');
    md.push('These differed or failed once and matched Kafka on the second run: look at them before they hide a bug.', '');
    for (const c of retried) md.push(`- **${c.client} / ${c.scenario}**, first run: ${(c.firstDetail ?? '').replace(/\s+/g, ' ').slice(0, 600)}`);
  }
  md.push('', '## Timing', '', ...timing.map((t) => `- ${t}`), '');
  writeFileSync(COMPAT_MD, md.join('\n'));
}

// ---------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const t0 = Date.now();
  // With --only, suites without any of those scenarios are left out (and so are their brokers).
  const only = flags.only?.split(',');
  const list = suites().filter((d) => !only || [...scenarioList(d).values()].some((sc) => only.some((o) => o in sc)));
  const work = mkdtempSync(join(tmpdir(), 'skiff-compat-'));
  const skiffData = flags['skiff-data'] ?? join(work, 'skiff-data');
  const timing: string[] = [];

  let kafka: { bootstrap: string; dataDir: string; version: string } | undefined;
  let skiff: Awaited<ReturnType<typeof startSkiff>> | undefined;
  let security: Awaited<ReturnType<typeof startSecurityBrokers>> | undefined;
  let kafkaVersion: string | undefined;
  // Ends the brokers of a retry in progress.
  let stopRetryBrokers: (() => Promise<void>) | undefined;
  const cleanup = async () => {
    await stopRetryBrokers?.();
    await stopBrokers(skiff, kafka ? KAFKA_STATE : undefined);
    await security?.stop();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));

  try {
    const cells: Cell[] = [];
    const versions: Record<string, Record<string, string>> = {};
    const runBoth = async (suite: string, k: Target | undefined, s: Target, extraEnv: (t: Target) => NodeJS.ProcessEnv, retryTargets: RetryTargets) => {
      log(`suite ${suite}: running against ${k ? 'Kafka and ' : ''}Skiff`);
      // Both targets at once: the suites spend most of their time waiting on brokers and JVMs.
      const [kr, sr] = await Promise.all([
        k ? runSuite(suite, k.bootstrap, 'kafka', k.dataDir, extraEnv(k)) : Promise.resolve(undefined),
        runSuite(suite, s.bootstrap, 'skiff', s.dataDir, extraEnv(s)),
      ]);
      for (const l of [...(kr?.lines ?? []), ...sr.lines]) if (l.versions) versions[l.client ?? suite] = l.versions;
      timing.push(`${suite}: ${kr ? `Kafka ${(kr.ms / 1000).toFixed(1)} s, ` : ''}Skiff ${(sr.ms / 1000).toFixed(1)} s`);
      const got = compare(suite, kr, sr);
      for (const c of got) if (c.outcome !== 'pass' && c.outcome !== 'allowed') log(`  ${c.client}/${c.scenario}: ${SYMBOL[c.outcome]} ${c.detail}`);
      await retryUnexpected(suite, got, k, s, extraEnv, retryTargets);
      cells.push(...got);
    };
    // A scenario that fails or differs once runs again on both brokers: timing between a broker's
    // background work and a client's next request can differ from one run to the next on either
    // broker. What differs twice counts; what passes the second time stays in the report as
    // "pass on retry", with the first diff.
    const retryUnexpected = async (
      suite: string,
      got: Cell[],
      k: Target | undefined,
      s: Target,
      extraEnv: (t: Target) => NodeJS.ProcessEnv,
      retryTargets: RetryTargets,
    ) => {
      const first = got.filter(isUnexpected);
      if (first.length === 0 || flags['no-retry']) return;
      const names = [...new Set(first.map((c) => c.scenario))];
      log(`suite ${suite}: running ${names.join(', ')} again`);
      const env = (t: Target) => ({ ...extraEnv(t), COMPAT_ONLY: names.join(',') });
      const targets = await retryTargets(k, s);
      stopRetryBrokers = targets.stop;
      const [kr, sr] = await Promise.all([
        targets.k ? runSuite(suite, targets.k.bootstrap, 'kafka', targets.k.dataDir, env(targets.k)) : Promise.resolve(undefined),
        runSuite(suite, targets.s.bootstrap, 'skiff', targets.s.dataDir, env(targets.s)),
      ]).finally(async () => {
        stopRetryBrokers = undefined;
        await targets.stop();
      });
      const again = new Map(compare(suite, kr, sr, names).map((c) => [`${c.client}\u0000${c.scenario}`, c]));
      for (const c of first) {
        const second = again.get(`${c.client}\u0000${c.scenario}`);
        log(`  ${c.client}/${c.scenario} again: ${second ? SYMBOL[second.outcome] : 'not run'} ${second?.detail ?? ''}`);
        if (second?.outcome !== 'pass') continue;
        c.firstDetail = c.detail;
        c.outcome = 'RETRY';
      }
    };

    const plain = list.filter((s) => s !== SECURITY_SUITE);
    if (plain.length > 0) {
      const ts = Date.now();
      const starts: Promise<void>[] = [];
      if (!flags['skiff-only']) {
        starts.push(
          (async () => {
            const env = await startKafka(KAFKA_STATE);
            kafka = { bootstrap: env.KAFKA_BOOTSTRAP!, dataDir: env.KAFKA_DATA_DIR!, version: env.KAFKA_VERSION! };
            kafkaVersion = kafka.version;
            log(`Kafka ${kafka.version} on ${kafka.bootstrap} (log ${join(KAFKA_STATE, 'kafka.log')})`);
          })(),
        );
      }
      starts.push(
        (async () => {
          skiff = flags.skiff
            ? { bootstrap: flags.skiff, stop: async () => {} }
            : await startSkiff(skiffData, join(work, 'skiff.log'));
          log(`Skiff on ${skiff.bootstrap} (log ${join(work, 'skiff.log')})`);
        })(),
      );
      await Promise.all(starts);
      timing.push(`brokers ready in ${((Date.now() - ts) / 1000).toFixed(1)} s`);
      const k = kafka && { ...kafka, listeners: '' };
      // A retry runs on a fresh pair of brokers: scenarios create topics and groups of fixed
      // names, which the first run's brokers already hold (a second CreateTopics would fail on
      // both, and a group would start from the first run's offsets). A Skiff started elsewhere
      // (--skiff) cannot be started afresh, so there both brokers are reused, as they are alike.
      let retries = 0;
      const freshPair: RetryTargets = async (withKafka) => {
        const n = ++retries;
        const state = `${KAFKA_STATE}-retry`;
        const dataDir = join(work, `skiff-data-retry-${n}`);
        const [kafkaStart, skiffStart] = await Promise.allSettled([
          withKafka ? startKafka(state) : Promise.resolve(undefined),
          startSkiff(dataDir, join(work, `skiff-retry-${n}.log`)),
        ]);
        const env = kafkaStart.status === 'fulfilled' ? kafkaStart.value : undefined;
        const fresh = skiffStart.status === 'fulfilled' ? skiffStart.value : undefined;
        const stop = () => stopBrokers(fresh, env ? state : undefined);
        // One of the two did not start: the other is stopped, not left running.
        if (kafkaStart.status === 'rejected' || skiffStart.status === 'rejected') {
          await stop();
          throw kafkaStart.status === 'rejected' ? kafkaStart.reason : (skiffStart as PromiseRejectedResult).reason;
        }
        return { k: env && { bootstrap: env.KAFKA_BOOTSTRAP!, dataDir: env.KAFKA_DATA_DIR!, listeners: '' }, s: { bootstrap: fresh!.bootstrap, dataDir, listeners: '' }, stop };
      };
      const retryOn = flags.skiff ? sameBrokers : freshPair;
      for (const suite of plain) await runBoth(suite, k, { bootstrap: skiff!.bootstrap, dataDir: skiffData, listeners: '' }, () => ({}), retryOn);
    }
    await cleanup();
    skiff = undefined;
    kafka = undefined;

    if (list.includes(SECURITY_SUITE)) {
      const ts = Date.now();
      security = await startSecurityBrokers(work);
      timing.push(`security profile brokers ready in ${((Date.now() - ts) / 1000).toFixed(1)} s`);
      log(`security profile: Kafka ${security.kafka?.listeners ?? '(not run)'}; Skiff ${security.skiff.listeners} (log ${join(work, 'skiff-security.log')})`);
      kafkaVersion ??= security.kafka?.version;
      const certs = security.certs;
      // The security profile's setup (ACLs, sec-denied) is idempotent: a retry reuses its brokers.
      await runBoth(SECURITY_SUITE, security.kafka, security.skiff, (t) => ({ COMPAT_LISTENERS: t.listeners, COMPAT_CERTS: certs }), sameBrokers);
      await security.stop();
      security = undefined;
    }

    timing.push(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    console.log('');
    printMatrix(cells);
    const count = (o: Outcome) => cells.filter((c) => c.outcome === o).length;
    // Named again after the matrix, so that the end of a long CI log says which cells to look at.
    for (const c of cells.filter((x) => isUnexpected(x) || x.outcome === 'RETRY'))
      console.log(`${SYMBOL[c.outcome]}: ${c.client}/${c.scenario}: ${(c.firstDetail ?? c.detail).replace(/\s+/g, ' ').slice(0, 600)}`);
    console.log(
      `\n${count('pass')} pass, ${count('RETRY')} pass on retry, ${count('allowed')} allowed-fail, ${count('XPASS')} pass (allowlisted), ` +
        `${count('FAIL')} FAIL, ${count('DIFF')} differs, ${count('BROKEN')} BROKEN; ${timing.at(-1)}`,
    );
    if (!flags['no-md'] && !flags.only && !flags.clients) {
      writeCompatMd(cells, versions, timing, kafkaVersion ?? '(not run)');
      console.log(`wrote ${COMPAT_MD}`);
    }
    rmSync(work, { recursive: true, force: true });
    process.exitCode = cells.some(isUnexpected) ? 1 : 0;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

await main();
