/**
 * The console in a real headless Chromium (the system's `chromium`, driven by playwright-core,
 * which downloads no browser): create a topic, produce from the page and see the message,
 * watch a group's lag move while a consumer runs, reset its offsets. A screenshot of each page
 * goes to .cache/console-screenshots/. Skips only where no Chromium is installed, never in CI.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-keys.js';
import { defaultConsumerGroupHeartbeatRequest } from '../../src/protocol/generated/068-consumer-group-heartbeat.js';
import { type FindCoordinatorResponse, defaultFindCoordinatorRequest } from '../../src/protocol/generated/010-find-coordinator.js';
import { RawClient } from '../support/raw-client.js';

// The functions given to waitForFunction run in the page, where document exists.
declare const document: { querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null };

const SHOTS = join(import.meta.dirname, '../../.cache/console-screenshots');
const TOPIC = 'browser-topic';
const GROUP = 'browser-group';

function findChromium(): string | undefined {
  for (const name of [process.env.SKIFF_CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome']) {
    if (!name) continue;
    try {
      return execFileSync('sh', ['-c', `command -v "${name}"`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

const executable = findChromium();
if (executable === undefined && process.env.CI) throw new Error('CI must run the console browser test: install the Debian package chromium (.ci/run does)');
const title =
  executable === undefined ? 'console in Chromium (SKIPPED: no chromium on PATH; install the Debian package chromium or set SKIFF_CHROMIUM)' : 'console in Chromium';

describe.skipIf(executable === undefined)(title, () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    broker = await startBroker({ memory: true, httpPort: 0, logLevel: 'silent' });
    kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'console-browser-test', logLevel: logLevel.NOTHING });
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'skiff-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: executable,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (d) => void d.accept());
  });
  afterAll(async () => {
    await context?.close();
    await broker?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function open(hash: string, ready: string): Promise<void> {
    await page.goto(new URL(`/${hash}`, broker.httpUrl).href);
    await page.waitForSelector(`#page[data-ready="${ready}"]`);
  }

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('shows the cluster with live throughput charts', async () => {
    await open('#/', 'cluster');
    expect(await page.textContent('main')).toContain(broker.bootstrap.split(':')[0]!);
    // Traffic while the page is open lifts the bytes-in line off the zero baseline (y = 160).
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'browser-throughput', messages: Array.from({ length: 50 }, (_, j) => ({ value: `payload ${i}-${j}`.padEnd(200, '.') })) });
    await producer.disconnect();
    await page.waitForFunction(() => {
      const d = document.querySelector('[data-testid="chart-bytes"] path')?.getAttribute('d') ?? '';
      return [...d.matchAll(/,([\d.]+)/g)].some((m) => Number(m[1]) < 159);
    });
    await shot('cluster');
  });

  it('creates a topic from the page', async () => {
    await open('#/topics', 'topics');
    await page.fill('[data-testid="new-topic-name"]', TOPIC);
    await page.fill('[data-testid="new-topic-partitions"]', '1');
    await page.click('[data-testid="create-topic"]');
    await page.waitForSelector(`tr[data-topic="${TOPIC}"]`);
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain(TOPIC);
    await admin.disconnect();
    await shot('topics');
  });

  it('produces a message from the page and shows it as JSON, with its headers, and tails new ones', async () => {
    await open(`#/messages/${TOPIC}`, 'messages');
    await page.fill('[data-testid="produce-key"]', 'user-1');
    await page.fill('[data-testid="produce-value"]', '{"hello":"browser","n":1}');
    await page.fill('[data-testid="produce-headers"]', 'source=console');
    await page.click('[data-testid="produce"]');
    await page.waitForSelector('[data-testid="messages"] tr[data-offset="0"]');
    await page.selectOption('[data-testid="msg-format"]', 'json');
    const row = await page.textContent('[data-testid="messages"] tr[data-offset="0"]');
    expect(row).toContain('"hello": "browser"');
    expect(row).toContain('user-1');
    expect(row).toContain('source: console');

    // A real client sees what the page produced.
    const consumer = kafka.consumer({ groupId: 'browser-check' });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const first = await new Promise<{ key: string; value: string; header: string }>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve({ key: String(message.key), value: String(message.value), header: String(message.headers?.source) }) });
    });
    await consumer.disconnect();
    expect(first).toEqual({ key: 'user-1', value: '{"hello":"browser","n":1}', header: 'console' });

    await page.check('[data-testid="msg-tail"]');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: [{ key: 'from-kafkajs', value: 'tailed' }] });
    await producer.disconnect();
    await page.waitForSelector('[data-testid="messages"] tr[data-offset="1"]');
    expect(await page.textContent('[data-testid="messages"] tr[data-offset="1"]')).toContain('tailed');
    await shot('messages');
  });

  it("shows a group's lag move as a consumer runs, and resets its offsets", async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })) });
    await producer.disconnect();
    const total = 42;

    // Consume everything once, commit, leave: lag 0.
    const runAll = async (): Promise<Consumer> => {
      const consumer = kafka.consumer({ groupId: GROUP });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      let seen = 0;
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async () => {
            if (++seen === total) resolve();
          },
        });
      });
      return consumer;
    };
    let consumer = await runAll();
    await open(`#/groups/${GROUP}`, 'groups');
    await page.waitForFunction(() => document.querySelector('[data-testid="total-lag"] .value')?.textContent === '0');
    await consumer.disconnect();

    // With the group empty, reset to earliest from the page: the lag is the whole topic.
    await page.selectOption('[data-testid="reset-topic"]', TOPIC);
    await page.selectOption('[data-testid="reset-to"]', 'earliest');
    await page.click('[data-testid="reset"]');
    await page.waitForFunction((n) => document.querySelector('[data-testid="total-lag"] .value')?.textContent === String(n), total);
    await page.waitForSelector('[data-testid="chart-partition-lag"] rect');
    await shot('group-after-reset');

    // A consumer runs again: the page, polling, sees the lag fall back to 0.
    consumer = await runAll();
    await page.waitForFunction(() => document.querySelector('[data-testid="total-lag"] .value')?.textContent === '0');
    expect(await page.textContent('[data-testid="group-offsets"]')).toContain(String(total));
    await shot('group');
    await consumer.disconnect();

    await open('#/groups', 'groups');
    await page.waitForSelector(`tr[data-group="${GROUP}"]`);
    await shot('groups');
  });

  it('shows a KIP-848 consumer group: its epochs, and each member\'s epoch, assignment and target', async () => {
    await broker.createTopic('browser-cg-topic', { partitions: 2 });
    const client = await RawClient.connect(broker.host, broker.port);
    try {
      while ((await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { ...defaultFindCoordinatorRequest(), coordinatorKeys: ['browser-cg'] })).coordinators[0]!.errorCode !== 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await client.request(ApiKey.ConsumerGroupHeartbeat, 1, {
        ...defaultConsumerGroupHeartbeatRequest(), groupId: 'browser-cg', memberId: 'browser-member', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['browser-cg-topic'], topicPartitions: [],
      });
      await open('#/groups/browser-cg', 'groups');
      const row = await page.waitForSelector('[data-testid="group-members"] tr[data-member="browser-member"]');
      expect((await row.$$eval('td', (cells) => cells.map((c) => c.textContent))).slice(1)).toEqual(['consumer', '2', 'skiff-test', '/127.0.0.1', 'browser-cg-topic: 0, 1', 'browser-cg-topic: 0, 1']);
      expect(await page.textContent('main')).toContain('2 / 2');
      await shot('consumer-group');
    } finally {
      await client.close();
    }
  });

  it('lists transactions and producers', async () => {
    const producer = kafka.producer({ transactionalId: 'browser-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: TOPIC, messages: [{ value: 'in a transaction' }] });
    await txn.commit();
    await producer.disconnect();
    await open('#/transactions', 'transactions');
    const text = await page.textContent('main');
    expect(text).toContain('browser-txn');
    expect(text).toContain('CompleteCommit');
    await shot('transactions');

    await open(`#/topics/${TOPIC}`, 'topics');
    await shot('topic');
  });
});
