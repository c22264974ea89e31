/**
 * Skiff's own documentation for the settings DescribeConfigs lists beyond those Skiff reads
 * (the broker and topic tables carry theirs). Kafka's prose is not copied.
 */

/** For a Kafka setting Skiff accepts, keeps and describes but does not act on. */
export function kafkaOnlyDoc(scope: 'broker' | 'topic' | 'group'): string {
  return `A Kafka ${scope} setting with Kafka's default; Skiff keeps and describes it but does not act on it.`;
}

export const GROUP_DOC: Readonly<Record<string, string>> = {
  'consumer.session.timeout.ms': "This consumer group's (KIP-848) session timeout; the broker's group.consumer.session.timeout.ms when unset.",
  'consumer.heartbeat.interval.ms': "This consumer group's (KIP-848) heartbeat interval; the broker's group.consumer.heartbeat.interval.ms when unset.",
  'share.session.timeout.ms': "This share group's session timeout; the broker's group.share.session.timeout.ms when unset.",
  'share.heartbeat.interval.ms': "This share group's heartbeat interval; the broker's group.share.heartbeat.interval.ms when unset.",
  'share.record.lock.duration.ms': "How long this share group's consumers hold a record's lock.",
  'share.auto.offset.reset': 'Where a share group starts reading a partition it has no position in.',
  'share.isolation.level': 'Whether this share group reads uncommitted transactional records.',
  'streams.session.timeout.ms': "This streams group's session timeout; the broker's group.streams.session.timeout.ms when unset.",
  'streams.heartbeat.interval.ms': "This streams group's heartbeat interval; the broker's group.streams.heartbeat.interval.ms when unset.",
  'streams.num.standby.replicas': 'Standby replicas per task of this streams group.',
};

export const CLIENT_METRICS_DOC: Readonly<Record<string, string>> = {
  metrics: 'Metric name prefixes the matching clients push; empty for none, * for all.',
  'interval.ms': 'How often matching clients push metrics, 100 ms to 1 hour.',
  match: 'Which clients the subscription applies to: key=regex pairs on client_instance_id, client_id, client_software_name, client_software_version, client_source_address, client_source_port; empty matches every client.',
};
