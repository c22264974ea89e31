/**
 * GET /metrics: the broker in the Prometheus text format. Names follow what the Prometheus
 * JMX exporter makes of Kafka's MBeans (kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,
 * topic=t becomes kafka_server_brokertopicmetrics_bytesin_total{topic="t"}); consumer lag uses
 * kafka_exporter's kafka_consumergroup_* names; what Kafka has no MBean for is skiff_*.
 * Counters come from BrokerCounters; every gauge is read from broker state here, at scrape time.
 */
import { LATENCY_BUCKETS_MS, type TopicCounters } from '../metrics/broker-counters.js';
import { API_INFO } from '../protocol/generated/api-keys.js';
import { errorName } from './api/errors.js';
import { FRAMES } from '../server/frame-pool.js';
import { TXN_STATE_NAMES, TxnState } from '../coordinator/txn/transaction-metadata.js';
import { type BrokerView, dirtyRatio, groupLag, type NetworkView } from './broker-views.js';
import type { ProcessStats } from './process-stats.js';
import { PrometheusText } from './prometheus-text.js';

const apiName = (key: number): string => API_INFO.get(key)?.name ?? String(key);
const GROUP_STATES = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

export function renderMetrics(broker: BrokerView, network: NetworkView | undefined, processStats: ProcessStats): string {
  const out = new PrometheusText();
  writeBroker(out, broker, network);
  processStats.write(out);
  return out.toString();
}

/** A virtual cluster's brokers in one scrape: each family once, every sample of a broker labelled broker="<id>"; the process once. */
export function renderClusterMetrics(brokers: ReadonlyArray<{ id: number; broker: BrokerView; network: NetworkView | undefined }>, processStats: ProcessStats): string {
  const out = new PrometheusText();
  for (const b of brokers) writeBroker(out.labelled({ broker: b.id }), b.broker, b.network);
  processStats.write(out);
  return out.toString();
}

function writeBroker(out: PrometheusText, broker: BrokerView, network: NetworkView | undefined): void {
  writeTopicCounters(out, broker);
  writeRequests(out, broker);
  writeNetwork(out, broker, network);
  writeLogs(out, broker);
  writeGroups(out, broker);
  writeTransactions(out, broker);
  writeCleaner(out, broker);
}

function writeTopicCounters(out: PrometheusText, broker: BrokerView): void {
  const topics = broker.counters.topics((name) => broker.topics.get(name) !== undefined);
  const families: Array<[string, string, (c: TopicCounters) => number]> = [
    ['bytesin', 'Bytes of record batches appended by produce requests.', (c) => c.bytesIn],
    ['bytesout', 'Bytes of record batches sent in fetch responses.', (c) => c.bytesOut],
    ['messagesin', 'Records appended by produce requests.', (c) => c.messagesIn],
    ['totalproducerequests', 'Produce requests, counted per partition.', (c) => c.produceRequests],
    ['failedproducerequests', 'Produce requests answered with an error, counted per partition.', (c) => c.failedProduceRequests],
    ['totalfetchrequests', 'Fetch requests, counted per partition.', (c) => c.fetchRequests],
    ['failedfetchrequests', 'Fetch requests answered with an error, counted per partition.', (c) => c.failedFetchRequests],
  ];
  for (const [suffix, help, value] of families) {
    const name = `kafka_server_brokertopicmetrics_${suffix}_total`;
    out.family(name, 'counter', help);
    for (const [topic, c] of topics) out.sample(name, { topic }, value(c));
  }
  out.family('kafka_server_brokertopicmetrics_nokeycompactedtopicrecords_total', 'counter', 'Records refused because a compacted topic needs a key.');
  out.sample('kafka_server_brokertopicmetrics_nokeycompactedtopicrecords_total', undefined, broker.counters.noKeyCompactedTopicRecords);
  out.family('skiff_produce_validation_failures_total', 'counter', 'Produce batches refused before the append, by Kafka error.');
  for (const [code, n] of broker.counters.produceValidationFailures) out.sample('skiff_produce_validation_failures_total', { error: errorName(code) }, n);
}

function writeRequests(out: PrometheusText, broker: BrokerView): void {
  const apis = broker.counters.apis();
  out.family('kafka_network_requestmetrics_requests_total', 'counter', 'Requests received, by API.');
  for (const [key, c] of apis) out.sample('kafka_network_requestmetrics_requests_total', { request: apiName(key) }, c.requests);
  out.family('kafka_network_requestmetrics_errors_total', 'counter', 'Errors answered, by API and Kafka error (whole requests, and partitions of Produce and Fetch).');
  for (const [key, c] of apis) for (const [code, n] of c.errors) out.sample('kafka_network_requestmetrics_errors_total', { request: apiName(key), error: errorName(code) }, n);
  out.family('kafka_network_requestmetrics_totaltimems', 'histogram', 'Time from a decoded request to its encoded response, in milliseconds, by API.');
  for (const [key, c] of apis) out.histogram('kafka_network_requestmetrics_totaltimems', { request: apiName(key) }, LATENCY_BUCKETS_MS, c.latencyBuckets, c.latencySumMs);
}

function writeNetwork(out: PrometheusText, broker: BrokerView, network: NetworkView | undefined): void {
  const states = new Map<string, number>([['open', 0], ['draining', 0], ['closing', 0]]);
  let inFlight = 0;
  let queuedBytes = 0;
  for (const c of network?.connections ?? []) {
    states.set(c.state, (states.get(c.state) ?? 0) + 1);
    inFlight += c.inFlight;
    queuedBytes += c.writableLength;
  }
  out.family('kafka_server_socketservermetrics_connection_count', 'gauge', 'Open Kafka connections, by listener.');
  out.sample('kafka_server_socketservermetrics_connection_count', { listener: 'PLAINTEXT' }, network?.connections.size ?? 0);
  out.family('skiff_connections', 'gauge', 'Kafka connections by state.');
  for (const [state, n] of states) out.sample('skiff_connections', { state }, n);
  out.family('kafka_network_requestchannel_requestqueuesize', 'gauge', 'Requests received and not yet answered, over all connections.');
  out.sample('kafka_network_requestchannel_requestqueuesize', undefined, inFlight);
  out.family('skiff_socket_queued_bytes', 'gauge', 'Response bytes written but not yet taken by the kernel, over all connections.');
  out.sample('skiff_socket_queued_bytes', undefined, queuedBytes);
  let used = 0;
  for (const log of broker.logs.logs()) used += log.tailCacheBytes.used;
  out.family('skiff_tail_cache_used_bytes', 'gauge', 'Memory holding the newest batches of every partition (skiff.tail.cache.bytes).');
  out.sample('skiff_tail_cache_used_bytes', undefined, used);
  out.family('skiff_tail_cache_capacity_bytes', 'gauge', 'The tail cache limit (skiff.tail.cache.bytes).');
  out.sample('skiff_tail_cache_capacity_bytes', undefined, broker.config.values['skiff.tail.cache.bytes']);
  out.family('skiff_frame_pool_idle_bytes', 'gauge', 'Request frame buffers kept for reuse, idle now.');
  out.sample('skiff_frame_pool_idle_bytes', undefined, FRAMES.stats.idleBytes);
}

function writeLogs(out: PrometheusText, broker: BrokerView): void {
  const logs = broker.logs.logs();
  const gauges: Array<[string, string, (l: (typeof logs)[number]) => number]> = [
    ['kafka_log_log_size', 'Bytes of a partition on disk (or in memory).', (l) => l.sizeInBytes],
    ['kafka_log_log_numlogsegments', 'Segments of a partition.', (l) => l.segmentInfo().length],
    ['kafka_log_log_logstartoffset', 'First offset of a partition.', (l) => Number(l.logStartOffset)],
    ['kafka_log_log_logendoffset', 'Offset the next record of a partition gets.', (l) => Number(l.logEndOffset)],
    ['skiff_log_high_watermark', 'High watermark of a partition: the offset consumers read up to.', (l) => Number(l.highWatermark)],
    ['skiff_log_last_stable_offset', 'Last stable offset of a partition: read_committed consumers read up to it.', (l) => Number(l.lastStableOffset)],
  ];
  for (const [name, help, value] of gauges) {
    out.family(name, 'gauge', help);
    for (const log of logs) out.sample(name, { topic: log.topic, partition: log.partition }, value(log));
  }
}

function writeGroups(out: PrometheusText, broker: BrokerView): void {
  const groups = broker.groups.listGroups([], []);
  out.family('kafka_consumergroup_state', 'gauge', '1 for the state a consumer group is in.');
  for (const g of groups) for (const state of GROUP_STATES) out.sample('kafka_consumergroup_state', { consumergroup: g.groupId, state }, g.groupState === state ? 1 : 0);
  out.family('kafka_consumergroup_members', 'gauge', 'Members of a consumer group.');
  for (const g of groups) out.sample('kafka_consumergroup_members', { consumergroup: g.groupId }, broker.groups.memberCount(g.groupId));
  const lags = groups.map((g) => [g.groupId, groupLag(broker, g.groupId)] as const);
  out.family('kafka_consumergroup_current_offset', 'gauge', 'Committed offset of a group on a partition.');
  for (const [group, lag] of lags) for (const l of lag) out.sample('kafka_consumergroup_current_offset', { consumergroup: group, topic: l.topic, partition: l.partition }, Number(l.committedOffset));
  out.family('kafka_consumergroup_lag', 'gauge', 'High watermark less the committed offset of a group on a partition.');
  for (const [group, lag] of lags) for (const l of lag) out.sample('kafka_consumergroup_lag', { consumergroup: group, topic: l.topic, partition: l.partition }, Number(l.lag));
}

function writeTransactions(out: PrometheusText, broker: BrokerView): void {
  const counts = new Map<string, number>(Object.values(TXN_STATE_NAMES).map((n) => [n, 0]));
  let oldestStart: number | undefined;
  for (const t of broker.txn.list()) {
    const name = TXN_STATE_NAMES[t.state];
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (t.state === TxnState.Ongoing && (oldestStart === undefined || t.txnStartTimestamp < oldestStart)) oldestStart = t.txnStartTimestamp;
  }
  out.family('skiff_transactions', 'gauge', 'Transactional ids by transaction state.');
  for (const [state, n] of counts) out.sample('skiff_transactions', { state }, n);
  out.family('skiff_transaction_oldest_open_age_seconds', 'gauge', 'Age of the oldest ongoing transaction; 0 when none is open.');
  out.sample('skiff_transaction_oldest_open_age_seconds', undefined, oldestStart === undefined ? 0 : Math.max(0, Date.now() - oldestStart) / 1000);
}

function writeCleaner(out: PrometheusText, broker: BrokerView): void {
  const cleaner = broker.logs.cleaner;
  const totals = cleaner.totals;
  out.family('skiff_log_cleaner_cleanings_total', 'counter', 'Cleanings of compacted logs.').sample('skiff_log_cleaner_cleanings_total', undefined, totals.cleanings);
  out.family('skiff_log_cleaner_read_bytes_total', 'counter', 'Bytes the log cleaner read.').sample('skiff_log_cleaner_read_bytes_total', undefined, totals.bytesRead);
  out.family('skiff_log_cleaner_written_bytes_total', 'counter', 'Bytes the log cleaner wrote.').sample('skiff_log_cleaner_written_bytes_total', undefined, totals.bytesWritten);
  out.family('skiff_log_cleaner_seconds_total', 'counter', 'Time spent cleaning.').sample('skiff_log_cleaner_seconds_total', undefined, totals.durationMs / 1000);
  const compacted = broker.logs.logs().filter((l) => l.config.compact);
  let max = 0;
  out.family('skiff_log_cleaner_dirty_ratio', 'gauge', 'Share of a compacted partition not yet cleaned (segment grain).');
  for (const log of compacted) {
    const ratio = dirtyRatio(broker, log);
    max = Math.max(max, ratio);
    out.sample('skiff_log_cleaner_dirty_ratio', { topic: log.topic, partition: log.partition }, ratio);
  }
  out.family('kafka_log_logcleanermanager_max_dirty_percent', 'gauge', 'Largest dirty share of any compacted log, in percent.');
  out.sample('kafka_log_logcleanermanager_max_dirty_percent', undefined, Math.round(max * 100));
}
