/**
 * Raw scenarios for the cluster-admin APIs a single node answers on its own: leader election,
 * partition reassignment, replica log dirs, client quotas, the KRaft quorum, feature updates,
 * broker unregistration, config resource listing and client telemetry (KIP-714).
 */
type Call = (apiKey: number, version: number, body: unknown, keepMessages?: boolean) => Promise<any>;

export interface AdminScenarioDeps {
  call: Call;
  ensureTopic: (topic: string) => Promise<void>;
}

const ELECT_TOPIC = 'raw-elect-leaders';
const REASSIGN_TOPIC = 'raw-reassign';
const NODE_ID = 1;

export function addClusterAdminScenarios(scenarios: Record<string, () => Promise<unknown>>, { call, ensureTopic }: AdminScenarioDeps): void {
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

  // Unregistering the running node succeeds in Kafka and fences it until its next heartbeat,
  // which would disturb the scenarios running beside this one: only an unknown id is asked.
  scenarios['unregister-broker-v0'] = async () => call(64, 0, { brokerId: 4242 }, true);

  // Topics and groups come and go with other scenarios: compared are the resource types listed
  // and that the brokers and a known topic are among them.
  for (const v of [0, 1]) {
    scenarios[`list-config-resources-v${v}`] = async () => {
      await ensureTopic(REASSIGN_TOPIC);
      const summary = (res: any) =>
        res.configResources === undefined
          ? res
          : {
              errorCode: res.errorCode,
              types: [...new Set(res.configResources.map((r: any) => r.resourceType))].sort(),
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
