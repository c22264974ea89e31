/** Topics for the console: list, describe (partitions, sizes, configs), create and delete. */
import { INTERNAL_TOPICS } from '../../cluster/topic-names.js';
import { describeTopicConfigs, parseTopicConfigs } from '../../config.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { KafkaError } from '../../errors.js';
import { type BrokerView, topicLogs } from '../broker-views.js';
import { HttpError, type RouteTable } from '../routes.js';
import { kafkaErrorReply } from './errors.js';

export function topicRoutes(routes: RouteTable, broker: BrokerView): void {
  routes.get('/api/topics', () => ({
    json: broker.topics
      .list()
      .map((t) => {
        const logs = topicLogs(broker, t.name);
        let size = 0;
        let records = 0n;
        for (const l of logs) {
          size += l.sizeInBytes;
          records += l.highWatermark - l.logStartOffset;
        }
        return { name: t.name, topicId: t.topicId, internal: t.internal, partitions: t.partitions, sizeBytes: size, records };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
  }));

  routes.get('/api/topics/:topic', (req) => {
    const t = broker.topics.get(req.params.topic!);
    if (t === undefined) throw new HttpError(404, `topic ${req.params.topic} does not exist`);
    return {
      json: {
        name: t.name,
        topicId: t.topicId,
        internal: t.internal,
        partitions: topicLogs(broker, t.name).map((l) => ({
          partition: l.partition,
          leader: broker.nodeId,
          logStartOffset: l.logStartOffset,
          highWatermark: l.highWatermark,
          lastStableOffset: l.lastStableOffset,
          sizeBytes: l.sizeInBytes,
          segments: l.segmentInfo().length,
          producers: l.producers.size,
        })),
        configs: describeTopicConfigs(parseTopicConfigs(t.configs), broker.config).map((c) => ({ name: c.name, value: c.value, isDefault: c.isDefault })),
      },
    };
  });

  routes.add(
    'POST',
    '/api/topics',
    async (req) => {
      const body = (await req.json()) as { name?: unknown; partitions?: unknown; configs?: unknown };
      if (typeof body?.name !== 'string') throw new HttpError(400, 'name must be a string');
      const partitions = body.partitions === undefined ? -1 : body.partitions;
      if (!Number.isSafeInteger(partitions)) throw new HttpError(400, 'partitions must be an integer');
      const configs: Record<string, string> = {};
      for (const [k, v] of Object.entries((body.configs ?? {}) as Record<string, unknown>)) configs[k] = String(v);
      try {
        const t = await broker.topics.create({ name: body.name, numPartitions: partitions as number, replicationFactor: -1, configs });
        return { status: 201, json: { name: t.name, topicId: t.topicId, partitions: t.partitions } };
      } catch (err) {
        if (err instanceof KafkaError) return kafkaErrorReply(err);
        throw err;
      }
    },
    { mutates: true },
  );

  routes.add(
    'DELETE',
    '/api/topics/:topic',
    async (req) => {
      const name = req.params.topic!;
      // The same refusals as DeleteTopics.
      if (!broker.config.values['delete.topic.enable']) return kafkaErrorReply(new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.'));
      if (INTERNAL_TOPICS.has(name)) return kafkaErrorReply(new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot delete internal topic ${name}`));
      try {
        await broker.topics.delete(name);
        return { status: 204 };
      } catch (err) {
        if (err instanceof KafkaError) return kafkaErrorReply(err);
        throw err;
      }
    },
    { mutates: true },
  );
}
