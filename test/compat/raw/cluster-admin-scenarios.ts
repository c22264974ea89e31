/**
 * Raw scenarios for the cluster-admin APIs a single node answers on its own: leader election,
 * partition reassignment, replica log dirs, client quotas, the KRaft quorum, feature updates,
 * broker unregistration, config resource listing and client telemetry (KIP-714).
 */
import { RawClient } from '../../support/raw-client.js';

type Call = (apiKey: number, version: number, body: unknown, keepMessages?: boolean) => Promise<any>;

export interface AdminScenarioDeps {
  call: Call;
  ensureTopic: (topic: string) => Promise<void>;
  host: string;
  port: number;
}

const ELECT_TOPIC = 'raw-elect-leaders';
const REASSIGN_TOPIC = 'raw-reassign';
const NODE_ID = 1;

export function addClusterAdminScenarios(scenarios: Record<string, () => Promise<unknown>>, { call, ensureTopic, host, port }: AdminScenarioDeps): void {
  for (const v of [0, 1, 2]) {
    scenarios[`elect-leaders-v${v}`] = async () => {
      await ensureTopic(ELECT_TOPIC);
      const topicPartitions = [
        { topic: ELECT_TOPIC, partitions: [0, 7] },
        { topic: 'raw-elect-missing', partitions: [0] },
      ];
      const out: Record<string, unknown> = {};
      for (const electionType of v === 0 ? [0] : [0, 1, 5]) {
        out[`type${electionType}`] = await call(43, v, { electionType, topicPartitions, timeoutMs: 5000 }, true);
      }
      return out;
    };
  }

  for (const v of [0, 1]) {
    scenarios[`alter-partition-reassignments-v${v}`] = async () => {
      await ensureTopic(REASSIGN_TOPIC);
      const alter = (partitions: Array<{ partitionIndex: number; replicas: number[] | null }>, allowReplicationFactorChange = true) =>
        call(45, v, { timeoutMs: 5000, allowReplicationFactorChange, topics: [{ name: REASSIGN_TOPIC, partitions }] }, true);
      return {
        sameNode: await alter([{ partitionIndex: 0, replicas: [NODE_ID] }]),
        unknownBroker: await alter([{ partitionIndex: 0, replicas: [NODE_ID + 41] }]),
        twoReplicas: await alter([{ partitionIndex: 0, replicas: [NODE_ID, NODE_ID + 41] }], v === 0),
        duplicate: await alter([{ partitionIndex: 0, replicas: [NODE_ID, NODE_ID] }]),
        empty: await alter([{ partitionIndex: 0, replicas: [] }]),
        negative: await alter([{ partitionIndex: 0, replicas: [-1] }]),
        cancel: await alter([{ partitionIndex: 0, replicas: null }]),
        missingPartition: await alter([{ partitionIndex: 9, replicas: [NODE_ID] }]),
        missingTopic: await call(45, v, { timeoutMs: 5000, allowReplicationFactorChange: true, topics: [{ name: 'raw-reassign-missing', partitions: [{ partitionIndex: 0, replicas: [NODE_ID] }] }] }, true),
        list: await call(46, 0, { timeoutMs: 5000, topics: [{ name: REASSIGN_TOPIC, partitionIndexes: [0, 9] }] }, true),
      };
    };
  }
  scenarios['list-partition-reassignments-v0'] = async () => ({
    all: await call(46, 0, { timeoutMs: 5000, topics: null }, true),
    missingTopic: await call(46, 0, { timeoutMs: 5000, topics: [{ name: 'raw-list-reassign-missing', partitionIndexes: [0] }] }, true),
  });

  for (const v of [1, 2]) {
    scenarios[`alter-replica-log-dirs-v${v}`] = async () => {
      await ensureTopic(REASSIGN_TOPIC);
      const dirs: any = await call(35, 4, { topics: [] });
      const logDir = dirs.results[0].logDir;
      const alter = (path: string, topic = REASSIGN_TOPIC, partitions = [0, 9]) => call(34, v, { dirs: [{ path, topics: [{ name: topic, partitions }] }] });
      return {
        sameDir: await alter(logDir),
        unknownDir: await alter('/nonexistent/raw-log-dir'),
        relativeDir: await alter('raw-relative'),
        missingTopic: await alter(logDir, 'raw-log-dirs-missing', [0]),
      };
    };
  }

  // The quorum's offsets and timestamps move with the metadata log: compared are who leads,
  // who votes and observes, and that the offsets make sense.
  for (const v of [0, 1, 2]) {
    scenarios[`describe-quorum-v${v}`] = async () => {
      const res: any = await call(55, v, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
      const replica = (r: any) => ({
        replicaId: r.replicaId,
        hasDirectoryId: r.replicaDirectoryId !== '00000000-0000-0000-0000-000000000000' && r.replicaDirectoryId !== 'AAAAAAAAAAAAAAAAAAAAAA',
        logEndOffsetKnown: r.logEndOffset >= 0,
        lastFetchTimestamp: v === 0 ? r.lastFetchTimestamp : r.lastFetchTimestamp === -1 ? -1 : typeof r.lastFetchTimestamp,
        lastCaughtUpTimestamp: v === 0 ? r.lastCaughtUpTimestamp : r.lastCaughtUpTimestamp === -1 ? -1 : typeof r.lastCaughtUpTimestamp,
      });
      return {
        errorCode: res.errorCode,
        errorMessage: res.errorMessage,
        topics: res.topics?.map((t: any) => ({
          topicName: t.topicName,
          partitions: t.partitions.map((p: any) => ({
            partitionIndex: p.partitionIndex,
            errorCode: p.errorCode,
            leaderId: p.leaderId,
            leaderEpochPositive: p.leaderEpoch > 0,
            highWatermarkPositive: p.highWatermark > 0,
            currentVoters: p.currentVoters.map(replica),
            observers: p.observers.map(replica),
          })),
        })),
        nodes: res.nodes?.map((n: any) => ({ nodeId: n.nodeId, listeners: n.listeners.map((l: any) => ({ name: l.name, host: l.host })) })),
        wrongTopic: await call(55, v, { topics: [{ topicName: 'raw-not-metadata', partitions: [{ partitionIndex: 0 }] }] }),
      };
    };
  }

  // Levels differ by design (src/server/features.ts): messages naming supported ranges are
  // compared by presence only. eligible.leader.replicas.version is at 0 on both (kafka.sh turns
  // ELR off), so updating it to 0 is a no-op on both.
  for (const v of [0, 1, 2]) {
    scenarios[`update-features-v${v}`] = async () => {
      // upgradeType (v1+) replaced allowDowngrade (v0): 1 upgrade, 2 safe downgrade, 3 unsafe downgrade.
      const updates = (list: Array<[string, number, number?]>, keepMessages = false) =>
        call(
          57,
          v,
          {
            timeoutMs: 5000,
            validateOnly: v >= 1,
            featureUpdates: list.map(([feature, maxVersionLevel, upgradeType = 1]) => ({
              feature,
              maxVersionLevel,
              allowDowngrade: v === 0 && upgradeType > 1,
              upgradeType: v === 0 ? 1 : upgradeType,
            })),
          },
          keepMessages,
        );
      const ELR = 'eligible.leader.replicas.version';
      return {
        unknownFeature: await updates([['raw.unknown.feature', 1]], true),
        tooHigh: await updates([['metadata.version', 999]]),
        tooHighGroup: await updates([['group.version', 99]]),
        metadataBelowMin: await updates([['metadata.version', 1, 2]]),
        removeMetadata: await updates([['metadata.version', 0, 2]]),
        unsafeRemoveMetadata: await updates([['metadata.version', 0, 3]]),
        badUpgradeType: await updates([[ELR, 0, 9]], true),
        noop: await updates([[ELR, 0]], true),
        duplicate: await updates([[ELR, 0], [ELR, 0]], true),
        failingSecond: await updates([[ELR, 0], ['raw.unknown.feature', 1]], true),
        noFeatures: await updates([], true),
      };
    };
  }

  // Quotas only for names no client of the compat run uses, so that nobody is throttled;
  // defaults (null names) only with validateOnly. Kafka lists entries in hash order: sorted here.
  const sortEntries = (res: any) =>
    Array.isArray(res?.entries) ? { ...res, entries: [...res.entries].sort((a: any, b: any) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) } : res;
  const U = 'raw-quota-user';
  const C = 'raw-quota-client';
  const user = (name: string | null) => ({ entityType: 'user', entityName: name });
  const client = (name: string | null) => ({ entityType: 'client-id', entityName: name });
  const op = (key: string, value: number, remove = false) => ({ key, value, remove });
  for (const v of [0, 1]) {
    scenarios[`alter-client-quotas-v${v}-validation`] = async () => {
      const check = async (entity: unknown[], ops: unknown[]) => {
        const res: any = await call(49, v, { validateOnly: true, entries: [{ entity, ops }] }, true);
        return res.entries?.[0] ?? res;
      };
      const ip = (name: string | null) => ({ entityType: 'ip', entityName: name });
      return {
        ok: await check([user(U)], [op('producer_byte_rate', 1024)]),
        defaults: await check([user(null), client(null)], [op('consumer_byte_rate', 1024), op('request_percentage', 12.5)]),
        emptyEntity: await check([], [op('producer_byte_rate', 1)]),
        unknownType: await check([{ entityType: 'raw-bogus', entityName: 'x' }], [op('producer_byte_rate', 1)]),
        typeTwice: await check([user('raw-a'), user('raw-b')], [op('producer_byte_rate', 1)]),
        ipWithUser: await check([ip('127.0.0.1'), user(U)], [op('producer_byte_rate', 1)]),
        emptyUser: await check([user('')], [op('producer_byte_rate', 1)]),
        emptyClient: await check([client('')], [op('producer_byte_rate', 1)]),
        badIp: await check([ip('not an ip')], [op('connection_creation_rate', 1)]),
        ipOk: await check([ip('127.0.0.1')], [op('connection_creation_rate', 5)]),
        ipWrongKey: await check([ip('127.0.0.1')], [op('producer_byte_rate', 5)]),
        userWrongKey: await check([user(U)], [op('connection_creation_rate', 5)]),
        unknownKey: await check([user(U)], [op('raw_bogus_key', 5)]),
        fractional: await check([user(U)], [op('producer_byte_rate', 1.5)]),
        zero: await check([user(U)], [op('producer_byte_rate', 0)]),
        negative: await check([user(U)], [op('consumer_byte_rate', -5)]),
        tooLarge: await check([user(U)], [op('producer_byte_rate', 1e20)]),
        fractionalPercentage: await check([user(U)], [op('request_percentage', 0.5)]),
        negativePercentage: await check([user(U)], [op('request_percentage', -1)]),
        mutationRate: await check([user(U)], [op('controller_mutation_rate', 1.5)]),
        keyTwice: await check([user(U)], [op('producer_byte_rate', 5), op('producer_byte_rate', 6)]),
        removeMissing: await check([user('raw-nobody')], [op('producer_byte_rate', 0, true)]),
        noOps: await check([user(U)], []),
        entityTwice: sortEntries(
          await call(49, v, { validateOnly: true, entries: [{ entity: [user(U)], ops: [op('producer_byte_rate', 5)] }, { entity: [user(U)], ops: [op('consumer_byte_rate', 5)] }, { entity: [client(C)], ops: [op('consumer_byte_rate', 5)] }] }, true),
        ),
      };
    };
    scenarios[`describe-client-quotas-v${v}`] = async () => {
      const u = `${U}-v${v}`;
      const c = `${C}-v${v}`;
      const alter = (entries: unknown[], validateOnly = false) => call(49, v, { validateOnly, entries }, true).then(sortEntries);
      const describe = (components: unknown[], strict = false) => call(48, v, { components, strict }, true).then(sortEntries);
      const exact = (entityType: string, match: string) => ({ entityType, matchType: 0, match });
      // Kafka's brokers answer from metadata the controller sends them a moment after an alter:
      // wait until the user's quotas show the change.
      const settled = async (count: number) => {
        for (let i = 0; i < 100; i++) {
          const res: any = await describe([exact('user', u)]);
          const values = (res.entries ?? []).flatMap((e: any) => e.values).length;
          if (values === count) return;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const out: Record<string, unknown> = {};
      out.set = await alter([
        { entity: [user(u)], ops: [op('producer_byte_rate', 1_000_000_000)] },
        { entity: [user(u), client(c)], ops: [op('consumer_byte_rate', 2_000_000_000), op('request_percentage', 400)] },
        { entity: [client(c)], ops: [op('producer_byte_rate', 3_000_000_000)] },
      ]);
      await settled(3);
      out.validateOnlyLeavesAlone = await alter([{ entity: [user(u)], ops: [op('producer_byte_rate', 7)] }], true);
      out.user = await describe([exact('user', u)]);
      out.userStrict = await describe([exact('user', u)], true);
      out.client = await describe([exact('client-id', c)]);
      out.both = await describe([exact('user', u), exact('client-id', c)], true);
      out.userAnyClient = await describe([exact('user', u), { entityType: 'client-id', matchType: 2, match: null }], true);
      out.userDefaultClient = await describe([exact('user', u), { entityType: 'client-id', matchType: 1, match: null }]);
      out.emptyStrict = await describe([], true);
      out.unknownType = await describe([{ entityType: 'raw-bogus', matchType: 2, match: null }]);
      out.typeTwice = await describe([exact('user', u), exact('user', u)]);
      out.unknownMatchType = await describe([{ entityType: 'user', matchType: 7, match: null }]);
      out.exactNull = await describe([{ entityType: 'user', matchType: 0, match: null }]);
      out.defaultWithMatch = await describe([{ entityType: 'user', matchType: 1, match: u }]);
      out.ipWithUser = await describe([{ entityType: 'ip', matchType: 2, match: null }, exact('user', u)]);
      out.remove = await alter([
        { entity: [user(u)], ops: [op('producer_byte_rate', 0, true)] },
        { entity: [user(u), client(c)], ops: [op('request_percentage', 0, true)] },
        { entity: [client(c)], ops: [op('producer_byte_rate', 0, true)] },
      ]);
      await settled(1);
      out.afterRemove = await describe([exact('user', u)]);
      out.clientAfterRemove = await describe([exact('client-id', c)]);
      await alter([{ entity: [user(u), client(c)], ops: [op('consumer_byte_rate', 0, true)] }]);
      await settled(0);
      out.allGone = await describe([exact('user', u)]);
      return out;
    };
  }

  // No client metrics subscription is configured: the defaults, the request-rate rules and
  // the errors. Instance and subscription ids are the broker's own: compared is that they are set.
  // Each call() is a new connection, where Kafka starts a client instance afresh; the rules
  // within one connection come after.
  const zero = 'AAAAAAAAAAAAAAAAAAAAAA';
  const subscription = (res: any) => ({ ...res, clientInstanceId: res.clientInstanceId === zero ? zero : '<id>', subscriptionId: res.subscriptionId === 0 ? 0 : '<id>' });
  scenarios['telemetry-v0-one-connection'] = async () => {
    const c = await RawClient.connect(host, port);
    try {
      const first: any = await c.request(71, 0, { clientInstanceId: zero });
      const push = (body: object) =>
        c.request(72, 0, { clientInstanceId: first.clientInstanceId, subscriptionId: first.subscriptionId, terminating: false, compressionType: 0, metrics: Buffer.alloc(0), ...body });
      return {
        again: subscription(await c.request(71, 0, { clientInstanceId: first.clientInstanceId })),
        push: await push({}),
        pushAgain: await push({}),
        pushAgainWrongSubscription: await push({ subscriptionId: first.subscriptionId ^ 1 }),
        terminating: await push({ terminating: true }),
        terminatingAgain: await push({ terminating: true }),
      };
    } finally {
      await c.close();
    }
  };
  scenarios['telemetry-v0'] = async () => {
    const first: any = await call(71, 0, { clientInstanceId: zero });
    const id = first.clientInstanceId;
    const push = (body: object) => call(72, 0, { clientInstanceId: id, subscriptionId: first.subscriptionId, terminating: false, compressionType: 0, metrics: Buffer.alloc(0), ...body });
    return {
      first: subscription(first),
      // Asking or pushing again for the same instance on a new connection is not compared: Kafka
      // forgets an instance when the connection that made it closes, which races with the next
      // request (until then it answers THROTTLING_QUOTA_EXCEEDED). Those rules are
      // telemetry-v0-one-connection's; here only the errors that do not depend on it.
      unknownInstance: await push({ clientInstanceId: 'AQAAAAAAAAAAAAAAAAAAAA' }),
      unknownCompression: await push({ compressionType: 9 }),
      zeroInstance: await push({ clientInstanceId: zero }),
      chosenId: subscription(await call(71, 0, { clientInstanceId: 'AgAAAAAAAAAAAAAAAAAAAA' })),
    };
  };

  // Unregistering the running node succeeds in Kafka and fences it until its next heartbeat,
  // which would disturb the scenarios running beside this one: only an unknown id is asked.
  scenarios['unregister-broker-v0'] = async () => call(64, 0, { brokerId: 4242 }, true);

  // Topics and groups come and go with other scenarios: compared are the resource types listed
  // and that the brokers and a known topic are among them. Group and client metrics resources
  // exist only while another scenario has configs set on one, so their types are left out.
  for (const v of [0, 1]) {
    scenarios[`list-config-resources-v${v}`] = async () => {
      await ensureTopic(REASSIGN_TOPIC);
      const summary = (res: any) =>
        res.configResources === undefined
          ? res
          : {
              errorCode: res.errorCode,
              types: [...new Set(res.configResources.map((r: any) => r.resourceType))].filter((t) => t !== 16 && t !== 32).sort(),
              brokers: res.configResources.filter((r: any) => r.resourceType === 4).map((r: any) => r.resourceName),
              hasTopic: res.configResources.some((r: any) => r.resourceType === 2 && r.resourceName === REASSIGN_TOPIC),
            };
      const out: Record<string, unknown> = { clientMetrics: summary(await call(74, v, { resourceTypes: [16] })) };
      if (v >= 1) {
        out.all = summary(await call(74, v, { resourceTypes: [] }));
        out.brokers = summary(await call(74, v, { resourceTypes: [4] }));
        out.topicsAndLoggers = summary(await call(74, v, { resourceTypes: [2, 8] }));
        out.unknownType = summary(await call(74, v, { resourceTypes: [99] }));
      }
      return out;
    };
  }
}
