/**
 * Kafka's own kafka-delegation-tokens (DelegationTokenCommand) against Skiff over SCRAM:
 * create, describe, renew and expire a token, and Kafka's kafka-topics authenticating with
 * the token (tokenauth=true) as its owner. Needs Java and Kafka's jars (test/compat/kafka/
 * kafka.sh fetch, or KAFKA_CACHE naming them); skipped without.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';

const KAFKA_SH = resolve('test/compat/kafka/kafka.sh');
const cache = process.env['KAFKA_CACHE'] ?? resolve('.cache/kafka/4.3.1');
const available = existsSync(join(cache, 'libs')) && existsSync('/usr/bin/java');
const COMMAND = 'org.apache.kafka.tools.DelegationTokenCommand';

function scramProps(username: string, password: string, tokenauth = false): string {
  const extra = tokenauth ? ' tokenauth=true' : '';
  return [
    'security.protocol=SASL_PLAINTEXT',
    'sasl.mechanism=SCRAM-SHA-256',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}"${extra};`,
    '',
  ].join('\n');
}

describe.skipIf(!available)('kafka-delegation-tokens against Skiff', () => {
  let dir: string;
  let broker: RunningBroker;
  let alice: string;

  async function tool(args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(KAFKA_SH, ['tool', ...args], { env: { ...process.env, KAFKA_CACHE: cache }, timeout: 60_000 });
    return stdout;
  }
  const tokens = (args: string[], props = alice) => tool(['kafka-run-class', COMMAND, '--bootstrap-server', broker.bootstrap, '--command-config', props, ...args]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-token-cli-'));
    broker = await startBroker({
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
        'skiff.scram.credentials': 'SCRAM-SHA-256=[name=alice,password=alice-secret]',
        'delegation.token.secret.key': 'cli-secret',
      },
    });
    alice = join(dir, 'alice.properties');
    await writeFile(alice, scramProps('alice', 'alice-secret'));
  });
  afterAll(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, describes, renews and expires a token that authenticates as its owner', async () => {
    const created = await tokens(['--create', '--max-life-time-period', '-1', '--renewer-principal', 'User:bob']);
    const tokenId = /tokenId : (\S+)/.exec(created)![1]!;
    const row = created.trim().split('\n').at(-1)!.split(/\s+/);
    expect(row.slice(0, 5)).toEqual([tokenId, row[1], 'User:alice', 'User:alice', '[User:bob]']);
    const hmac = row[1]!;

    const viaToken = join(dir, 'token.properties');
    await writeFile(viaToken, scramProps(tokenId, hmac, true));
    expect(await tool(['kafka-topics', '--bootstrap-server', broker.bootstrap, '--command-config', viaToken, '--create', '--topic', 'made-with-a-token'])).toContain('Created topic made-with-a-token');
    // A token-authenticated client may not manage tokens.
    await expect(tokens(['--describe'], viaToken)).rejects.toThrow(/not allowed on PLAINTEXT\/1-way SSL channels and on delegation token authenticated channels/);

    const described = await tokens(['--describe', '--owner-principal', 'User:alice']);
    expect(described).toContain('Total number of tokens : 1');
    expect(described).toContain(hmac);
    expect(await tokens(['--renew', '--hmac', hmac, '--renew-time-period', '60000'])).toContain('Completed renew operation');
    expect(await tokens(['--expire', '--hmac', hmac, '--expiry-time-period', '-1'])).toContain('Completed expire operation');
    expect(await tokens(['--describe', '--owner-principal', 'User:alice'])).toContain('Total number of tokens : 0');
    await expect(tool(['kafka-topics', '--bootstrap-server', broker.bootstrap, '--command-config', viaToken, '--list'])).rejects.toThrow(/Authentication failed/);
  }, 180_000);
});
