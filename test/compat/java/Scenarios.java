import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.*;

/**
 * The Java client suite (kafka-clients, compiled and run once per client release by ./run).
 * Prints one JSON line per scenario: {"client","scenario","ok","result"|"error"}.
 * Only APIs present in both 3.x and 4.x clients are used. Consumers use assign() + explicit
 * seeks unless the scenario is about groups, so that Produce/Fetch are checked on their own.
 */
public class Scenarios {
  static String bootstrap;
  static String client;
  /** Topic, group and transactional id prefix: java-<version>-, so client releases do not share them. */
  static String prefix;

  // ------------------------------------------------------------------------------ tiny JSON
  static String json(Object o) {
    if (o == null) return "null";
    if (o instanceof String) {
      StringBuilder b = new StringBuilder("\"");
      for (char c : ((String) o).toCharArray()) {
        if (c == '"' || c == '\\') b.append('\\').append(c);
        else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
        else b.append(c);
      }
      return b.append('"').toString();
    }
    if (o instanceof Number || o instanceof Boolean) return o.toString();
    if (o instanceof Map) {
      StringJoiner j = new StringJoiner(",", "{", "}");
      for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) j.add(json(String.valueOf(e.getKey())) + ":" + json(e.getValue()));
      return j.toString();
    }
    if (o instanceof Collection) {
      StringJoiner j = new StringJoiner(",", "[", "]");
      for (Object x : (Collection<?>) o) j.add(json(x));
      return j.toString();
    }
    return json(o.toString());
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  // ------------------------------------------------------------------------------ clients
  static Properties common() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("client.id", "skiff-compat-java");
    p.put("request.timeout.ms", "8000");
    p.put("default.api.timeout.ms", "12000");
    p.put("retry.backoff.ms", "100");
    p.put("reconnect.backoff.max.ms", "1000");
    return p;
  }

  static Admin admin() {
    return Admin.create(common());
  }

  static KafkaProducer<String, String> producer(String compression, Properties extra) {
    Properties p = common();
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("compression.type", compression);
    p.put("acks", "all");
    p.put("linger.ms", "5");
    p.put("delivery.timeout.ms", "15000");
    p.put("max.block.ms", "12000");
    p.put("enable.idempotence", "false");
    p.putAll(extra);
    return new KafkaProducer<>(p);
  }

  static KafkaConsumer<String, String> consumer(Properties extra) {
    Properties p = common();
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "earliest");
    p.put("fetch.max.wait.ms", "200");
    p.putAll(extra);
    return new KafkaConsumer<>(p);
  }

  /** Polls every consumer until their assignment sizes, sorted, are `want` and `records` were seen (15 s at most); returns the sizes reached. */
  static List<Integer> pollUntil(List<KafkaConsumer<String, String>> members, List<Integer> want, Set<String> seen, int records) {
    long deadline = System.currentTimeMillis() + 15000;
    List<Integer> sizes = List.of();
    while (System.currentTimeMillis() < deadline) {
      for (KafkaConsumer<String, String> c : members) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(50))) seen.add(r.partition() + ":" + r.offset());
      }
      sizes = new ArrayList<>();
      for (KafkaConsumer<String, String> c : members) sizes.add(c.assignment().size());
      Collections.sort(sizes);
      if (sizes.equals(want) && seen.size() >= records) break;
    }
    return sizes;
  }

  /** A group's type, state and members, each member as "upgraded" (consumer protocol) or not (4.x clients). */
  static Object describeMigration(String group) throws Exception {
    try (Admin a = admin()) {
      ConsumerGroupDescription d = a.describeConsumerGroups(List.of(group)).all().get().get(group);
      List<String> members = new ArrayList<>();
      for (MemberDescription m : d.members()) {
        Object upgraded;
        try {
          upgraded = MemberDescription.class.getMethod("upgraded").invoke(m);
        } catch (NoSuchMethodException e) {
          upgraded = "?";
        }
        members.add(String.valueOf(upgraded));
      }
      Collections.sort(members);
      return map("type", d.type().toString(), "state", d.state().toString(), "members", members);
    }
  }

  /** Sends each batch (flushes between batches); returns partition/offset per record. */
  static List<Object> produce(KafkaProducer<String, String> prod, List<List<ProducerRecord<String, String>>> batches) throws Exception {
    List<Object> out = new ArrayList<>();
    for (List<ProducerRecord<String, String>> batch : batches) {
      List<Future<RecordMetadata>> fs = new ArrayList<>();
      for (ProducerRecord<String, String> r : batch) fs.add(prod.send(r));
      prod.flush();
      List<Object> b = new ArrayList<>();
      for (Future<RecordMetadata> f : fs) {
        RecordMetadata md = f.get(15, TimeUnit.SECONDS);
        b.add(md.partition() + ":" + md.offset());
      }
      out.add(b);
    }
    return out;
  }

  static Map<String, Object> rec(ConsumerRecord<String, String> r, boolean withTs) {
    Map<String, Object> h = new LinkedHashMap<>();
    List<Object> headers = new ArrayList<>();
    for (Header x : r.headers()) headers.add(x.key() + "=" + (x.value() == null ? "<null>" : Base64.getEncoder().encodeToString(x.value())));
    Map<String, Object> m = map("partition", r.partition(), "offset", r.offset(), "key", r.key(), "value", r.value(), "headers", headers);
    if (withTs) m.put("timestamp", r.timestamp() + "/" + r.timestampType());
    return m;
  }

  /** Reads `count` records from partitions 0..n-1 of topic starting at offset 0, no group. */
  static List<Object> readAssigned(String topic, int partitions, int count, boolean withTs, Properties extra) {
    try (KafkaConsumer<String, String> c = consumer(extra)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 0; i < partitions; i++) tps.add(new TopicPartition(topic, i));
      c.assign(tps);
      for (TopicPartition tp : tps) c.seek(tp, 0);
      List<ConsumerRecord<String, String>> got = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 15000;
      while (got.size() < count && System.currentTimeMillis() < deadline) for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r);
      long extraDeadline = System.currentTimeMillis() + 300;
      while (System.currentTimeMillis() < extraDeadline) for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) got.add(r);
      if (got.size() < count) throw new RuntimeException("read " + got.size() + " of " + count + " records from " + topic);
      got.sort(Comparator.comparingInt((ConsumerRecord<String, String> r) -> r.partition()).thenComparingLong(ConsumerRecord::offset));
      List<Object> out = new ArrayList<>();
      for (ConsumerRecord<String, String> r : got) out.add(rec(r, withTs));
      return out;
    }
  }

  static String errorName(Throwable t) {
    Throwable e = t;
    while ((e instanceof ExecutionException || e instanceof CompletionException || e instanceof KafkaException && !(e instanceof org.apache.kafka.common.errors.ApiException)) && e.getCause() != null) e = e.getCause();
    return e.getClass().getSimpleName();
  }

  static void createTopic(Admin a, String topic, int partitions, Map<String, String> configs) throws Exception {
    NewTopic nt = new NewTopic(topic, partitions, (short) 1);
    if (configs != null) nt.configs(configs);
    a.createTopics(List.of(nt)).all().get(15, TimeUnit.SECONDS);
  }

  static ProducerRecord<String, String> pr(String topic, Integer partition, Long ts, String key, String value) {
    return new ProducerRecord<>(topic, partition, ts, key, value);
  }

  /** Creates the topic and produces `records` keyed records ("key-i" = "vi") in one batch. */
  static void createAndFill(String topic, int partitions, int records, String compression) throws Exception {
    try (Admin a = admin()) {
      createTopic(a, topic, partitions, null);
    }
    List<ProducerRecord<String, String>> batch = new ArrayList<>();
    for (int i = 0; i < records; i++) batch.add(new ProducerRecord<>(topic, "key-" + i, "v" + i));
    try (KafkaProducer<String, String> p = producer(compression, new Properties())) {
      produce(p, List.of(batch));
    }
  }

  /** Runs the scenarios COMPAT_ONLY names (all when unset), one JSON line each, within COMPAT_SCENARIO_TIMEOUT_MS. */
  static void runScenarios(String client, Map<String, ? extends Scenario> all) throws InterruptedException {
    String only = System.getenv("COMPAT_ONLY");
    Set<String> wanted = only == null ? null : new HashSet<>(Arrays.asList(only.split(",")));
    long limit = Long.parseLong(System.getenv().getOrDefault("COMPAT_SCENARIO_TIMEOUT_MS", "60000"));
    ExecutorService ex = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    });
    for (Map.Entry<String, ? extends Scenario> e : all.entrySet()) {
      if (wanted != null && !wanted.contains(e.getKey())) continue;
      long t0 = System.currentTimeMillis();
      Future<Object> f = ex.submit(() -> e.getValue().run());
      String line;
      try {
        Object r = f.get(limit, TimeUnit.MILLISECONDS);
        line = json(map("client", client, "scenario", e.getKey(), "ok", true, "result", r));
      } catch (TimeoutException te) {
        f.cancel(true);
        line = json(map("client", client, "scenario", e.getKey(), "ok", false, "error", "timed out after " + limit + " ms"));
      } catch (ExecutionException ee) {
        Throwable c = ee.getCause();
        line = json(map("client", client, "scenario", e.getKey(), "ok", false, "error", c.getClass().getSimpleName() + ": " + c.getMessage()));
      }
      System.out.println(line);
      System.out.flush();
      System.err.println("[" + client + "] " + e.getKey() + " " + (System.currentTimeMillis() - t0) + " ms");
    }
  }

  // ------------------------------------------------------------------------------ scenarios
  interface Scenario {
    Object run() throws Exception;
  }

  static Scenario codec(String codec) {
    return () -> {
      String topic = prefix + "codec-" + codec;
      List<List<ProducerRecord<String, String>>> batches = new ArrayList<>();
      for (int b = 0; b < 3; b++) {
        List<ProducerRecord<String, String>> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) batch.add(pr(topic, 0, null, "k" + b + "-" + i, codec + " value " + b + "-" + i + " " + "x".repeat(i * 20)));
        batches.add(batch);
      }
      List<Object> produced;
      try (KafkaProducer<String, String> p = producer(codec, new Properties())) {
        produced = produce(p, batches);
      }
      return map("produced", produced, "records", readAssigned(topic, 1, 15, false, new Properties()));
    };
  }

  static Map<String, Scenario> scenarios() {
    Map<String, Scenario> s = new LinkedHashMap<>();
    for (String c : List.of("none", "gzip", "snappy", "lz4", "zstd")) s.put("produce-consume-" + c, codec(c));

    s.put("keys-nulls-headers", () -> {
      String topic = prefix + "keys-nulls-headers";
      List<ProducerRecord<String, String>> batch = new ArrayList<>();
      ProducerRecord<String, String> r1 = pr(topic, 0, null, "k1", "v1");
      r1.headers().add("h1", "a".getBytes(StandardCharsets.UTF_8)).add("h2", new byte[] {0, 1, 2}).add("nullh", null).add("h1", "again".getBytes(StandardCharsets.UTF_8));
      batch.add(r1);
      batch.add(pr(topic, 0, null, null, "no key"));
      batch.add(pr(topic, 0, null, "tombstone", null));
      batch.add(pr(topic, 0, null, "", ""));
      List<Object> produced;
      try (KafkaProducer<String, String> p = producer("none", new Properties())) {
        produced = produce(p, List.of(batch));
      }
      return map("produced", produced, "records", readAssigned(topic, 1, 4, false, new Properties()));
    });

    s.put("create-time", () -> {
      String topic = prefix + "create-time";
      long base = 1_700_000_000_000L;
      List<ProducerRecord<String, String>> batch = new ArrayList<>();
      for (int i = 0; i < 3; i++) batch.add(pr(topic, 0, base + i * 1000L, "k" + i, "v" + i));
      List<Object> produced;
      try (KafkaProducer<String, String> p = producer("none", new Properties())) {
        produced = produce(p, List.of(batch));
      }
      return map("produced", produced, "records", readAssigned(topic, 1, 3, true, new Properties()));
    });

    s.put("log-append-time", () -> {
      String topic = prefix + "log-append-time";
      try (Admin a = admin()) {
        createTopic(a, topic, 1, Map.of("message.timestamp.type", "LogAppendTime"));
      }
      long before = System.currentTimeMillis();
      List<Object> produced;
      try (KafkaProducer<String, String> p = producer("none", new Properties())) {
        produced = produce(p, List.of(List.of(pr(topic, 0, 1000L, "k0", "v0"), pr(topic, 0, 1000L, "k1", "v1"))));
      }
      long after = System.currentTimeMillis();
      List<Object> out = new ArrayList<>();
      try (KafkaConsumer<String, String> c = consumer(new Properties())) {
        TopicPartition tp = new TopicPartition(topic, 0);
        c.assign(List.of(tp));
        c.seek(tp, 0);
        long deadline = System.currentTimeMillis() + 10000;
        while (out.size() < 2 && System.currentTimeMillis() < deadline)
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200)))
            out.add(map("offset", r.offset(), "type", r.timestampType().toString(), "brokerStamped", r.timestamp() >= before - 1000 && r.timestamp() <= after + 1000));
      }
      return map("produced", produced, "records", out);
    });

    s.put("many-partitions", () -> {
      String topic = prefix + "many-partitions";
      createAndFill(topic, 12, 60, "lz4");
      List<Object> keys = new ArrayList<>();
      for (Object o : readAssigned(topic, 12, 60, false, new Properties())) {
        Map<?, ?> m = (Map<?, ?>) o;
        keys.add(m.get("partition") + ":" + m.get("offset") + ":" + m.get("key"));
      }
      return map("keys", keys);
    });

    s.put("list-offsets", () -> {
      String topic = prefix + "list-offsets";
      long base = 1_700_000_000_000L;
      List<ProducerRecord<String, String>> batch = new ArrayList<>();
      for (int i = 0; i < 5; i++) batch.add(pr(topic, 0, base + i * 1000L, "k" + i, "v" + i));
      try (KafkaProducer<String, String> p = producer("none", new Properties())) {
        produce(p, List.of(batch));
      }
      TopicPartition tp = new TopicPartition(topic, 0);
      Map<String, Object> out = new LinkedHashMap<>();
      try (KafkaConsumer<String, String> c = consumer(new Properties())) {
        out.put("earliest", c.beginningOffsets(List.of(tp)).get(tp));
        out.put("latest", c.endOffsets(List.of(tp)).get(tp));
        for (long t : new long[] {base - 1, base + 2000, base + 2500, base + 10_000}) {
          OffsetAndTimestamp o = c.offsetsForTimes(Map.of(tp, t)).get(tp);
          out.put("byTime+" + (t - base), o == null ? null : o.offset() + "@" + (o.timestamp() - base));
        }
      }
      try (Admin a = admin()) {
        out.put("adminMaxTimestamp", a.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).partitionResult(tp).get().offset());
      }
      return out;
    });

    s.put("admin-topics", () -> {
      String topic = prefix + "admin-topics";
      Map<String, Object> out = new LinkedHashMap<>();
      try (Admin a = admin()) {
        createTopic(a, topic, 3, null);
        try {
          createTopic(a, topic, 3, null);
          out.put("again", "created");
        } catch (Exception e) {
          out.put("again", errorName(e));
        }
        out.put("listed", a.listTopics().names().get().contains(topic));
        TopicDescription d = a.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        List<Object> parts = new ArrayList<>();
        for (TopicPartitionInfo p : d.partitions()) parts.add(map("id", p.partition(), "replicas", p.replicas().size(), "isr", p.isr().size(), "leader", p.leader() != null));
        out.put("partitions", parts);
        out.put("internal", d.isInternal());
        a.deleteTopics(List.of(topic)).all().get(15, TimeUnit.SECONDS);
        Thread.sleep(500);
        out.put("listedAfterDelete", a.listTopics().names().get().contains(topic));
        try {
          a.describeTopics(List.of(topic)).allTopicNames().get();
          out.put("describeAfterDelete", "found");
        } catch (Exception e) {
          out.put("describeAfterDelete", errorName(e));
        }
      }
      return out;
    });

    s.put("admin-configs", () -> {
      String topic = prefix + "admin-configs";
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      List<String> names = List.of("retention.ms", "cleanup.policy", "max.message.bytes", "segment.bytes", "min.insync.replicas", "message.timestamp.type");
      Map<String, Object> out = new LinkedHashMap<>();
      try (Admin a = admin()) {
        createTopic(a, topic, 1, Map.of("retention.ms", "3600000"));
        Supplier<Object> describe = () -> {
          try {
            Config c = a.describeConfigs(List.of(res)).all().get().get(res);
            Map<String, Object> m = new TreeMap<>();
            for (String n : names) {
              ConfigEntry e = c.get(n);
              m.put(n, e == null ? null : map("value", e.value(), "source", e.source().toString(), "readOnly", e.isReadOnly(), "sensitive", e.isSensitive()));
            }
            return m;
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        };
        out.put("before", describe.get());
        a.incrementalAlterConfigs(Map.of(res, List.of(
            new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET),
            new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET)))).all().get();
        Thread.sleep(700);
        out.put("after", describe.get());
        a.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all().get();
        Thread.sleep(700);
        out.put("afterDelete", describe.get());
        try {
          a.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "not-a-number"), AlterConfigOp.OpType.SET)))).all().get();
          out.put("invalid", "accepted");
        } catch (Exception e) {
          out.put("invalid", errorName(e));
        }
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
        Config bc = a.describeConfigs(List.of(broker)).all().get().get(broker);
        Map<String, Object> bm = new TreeMap<>();
        for (String n : List.of("num.partitions", "default.replication.factor", "auto.create.topics.enable", "message.max.bytes", "log.segment.bytes", "offsets.topic.num.partitions"))
          bm.put(n, bc.get(n) == null ? null : bc.get(n).value());
        out.put("broker", bm);
      }
      return out;
    });

    s.put("create-partitions", () -> {
      String topic = prefix + "create-partitions";
      Map<String, Object> out = new LinkedHashMap<>();
      try (Admin a = admin()) {
        createTopic(a, topic, 1, null);
        a.createPartitions(Map.of(topic, NewPartitions.increaseTo(4))).all().get();
        Thread.sleep(300);
        out.put("partitions", a.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());
        try {
          a.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get();
          out.put("shrink", "accepted");
        } catch (Exception e) {
          out.put("shrink", errorName(e));
        }
      }
      try (KafkaProducer<String, String> p = producer("none", new Properties())) {
        out.put("produceToNew", produce(p, List.of(List.of(pr(topic, 3, null, "k", "v")))));
      }
      return out;
    });

    s.put("delete-records", () -> {
      String topic = prefix + "delete-records";
      List<ProducerRecord<String, String>> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) batch.add(pr(topic, 0, null, "k" + i, "v" + i));
      try (KafkaProducer<String, String> p = producer("none", new Properties())) {
        produce(p, List.of(batch));
      }
      TopicPartition tp = new TopicPartition(topic, 0);
      Map<String, Object> out = new LinkedHashMap<>();
      try (Admin a = admin()) {
        out.put("lowWatermark", a.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(5))).lowWatermarks().get(tp).get().lowWatermark());
        out.put("earliest", a.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset());
        try {
          a.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(50))).lowWatermarks().get(tp).get();
          out.put("beyondEnd", "accepted");
        } catch (Exception e) {
          out.put("beyondEnd", errorName(e));
        }
      }
      try (KafkaConsumer<String, String> c = consumer(new Properties())) {
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        out.put("positionAfterSeekToBeginning", c.position(tp));
      }
      return out;
    });

    s.put("consumer-group-rebalance", () -> {
      String topic = prefix + "group-rebalance";
      String group = prefix + "group-3";
      createAndFill(topic, 6, 30, "none");
      Properties gp = new Properties();
      gp.put("group.id", group);
      gp.put("session.timeout.ms", "10000");
      gp.put("heartbeat.interval.ms", "500");
      gp.put("max.poll.interval.ms", "20000");
      List<KafkaConsumer<String, String>> members = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      Map<String, Object> out = new LinkedHashMap<>();
      try {
        for (int i = 0; i < 3; i++) {
          KafkaConsumer<String, String> c = consumer(gp);
          c.subscribe(List.of(topic));
          members.add(c);
        }
        long deadline = System.currentTimeMillis() + 30000;
        List<Integer> sizes = List.of();
        while (System.currentTimeMillis() < deadline) {
          for (KafkaConsumer<String, String> c : members) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) seen.add(r.partition() + ":" + r.offset());
            c.commitSync();
          }
          sizes = new ArrayList<>();
          for (KafkaConsumer<String, String> c : members) sizes.add(c.assignment().size());
          Collections.sort(sizes);
          if (sizes.equals(List.of(2, 2, 2)) && seen.size() >= 30) break;
        }
        out.put("threeMembers", sizes);
        out.put("distinctRecords", seen.size());
        members.remove(2).close();
        deadline = System.currentTimeMillis() + 30000;
        while (System.currentTimeMillis() < deadline) {
          for (KafkaConsumer<String, String> c : members) c.poll(Duration.ofMillis(100));
          sizes = new ArrayList<>();
          for (KafkaConsumer<String, String> c : members) sizes.add(c.assignment().size());
          Collections.sort(sizes);
          if (sizes.equals(List.of(3, 3))) break;
        }
        out.put("twoMembers", sizes);
      } finally {
        for (KafkaConsumer<String, String> c : members) c.close();
      }
      try (Admin a = admin()) {
        Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<String, Object> cm = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) cm.put(e.getKey().toString(), e.getValue().offset());
        out.put("committed", cm);
        ConsumerGroupDescription d = a.describeConsumerGroups(List.of(group)).all().get().get(group);
        out.put("stateAfterClose", d.state().toString());
        out.put("membersAfterClose", d.members().size());
      }
      try (KafkaProducer<String, String> p = producer("none", new Properties())) {
        produce(p, List.of(List.of(new ProducerRecord<>(topic, "late-1", "after"), new ProducerRecord<>(topic, "late-2", "after"))));
      }
      List<Object> resumed = new ArrayList<>();
      try (KafkaConsumer<String, String> c = consumer(gp)) {
        c.subscribe(List.of(topic));
        long deadline = System.currentTimeMillis() + 20000;
        while (resumed.size() < 2 && System.currentTimeMillis() < deadline) for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) resumed.add(r.key());
      }
      Collections.sort((List) resumed);
      out.put("resumed", resumed);
      return out;
    });

    s.put("consumer-protocol-group", () -> {
      // KIP-848 (group.protocol=consumer): a member, a second joins and leaves, a static member,
      // a regular-expression subscription (4.x clients; SubscriptionPattern is looked up by name).
      String topic = prefix + "cgp";
      String group = prefix + "cgp-group";
      createAndFill(topic, 4, 20, "none");
      Properties gp = new Properties();
      gp.put("group.id", group);
      gp.put("group.protocol", "consumer");
      gp.put("max.poll.interval.ms", "20000");
      Map<String, Object> out = new LinkedHashMap<>();
      Set<String> seen = new HashSet<>();
      try (KafkaConsumer<String, String> first = consumer(gp)) {
        first.subscribe(List.of(topic));
        long deadline = System.currentTimeMillis() + 20000;
        while (System.currentTimeMillis() < deadline && (first.assignment().size() < 4 || seen.size() < 20)) {
          for (ConsumerRecord<String, String> r : first.poll(Duration.ofMillis(100))) seen.add(r.partition() + ":" + r.offset());
        }
        first.commitSync();
        out.put("oneMember", first.assignment().size());
        out.put("distinctRecords", seen.size());
        List<Integer> sizes = List.of();
        try (KafkaConsumer<String, String> second = consumer(gp)) {
          second.subscribe(List.of(topic));
          deadline = System.currentTimeMillis() + 20000;
          while (System.currentTimeMillis() < deadline) {
            first.poll(Duration.ofMillis(50));
            second.poll(Duration.ofMillis(50));
            sizes = new ArrayList<>(List.of(first.assignment().size(), second.assignment().size()));
            Collections.sort(sizes);
            if (sizes.equals(List.of(2, 2))) break;
          }
          out.put("twoMembers", sizes);
          try (Admin a = admin()) {
            ConsumerGroupDescription d = a.describeConsumerGroups(List.of(group)).all().get().get(group);
            out.put("describedType", d.type().toString());
            out.put("describedMembers", d.members().size());
            out.put("describedAssignor", d.partitionAssignor());
          }
        }
        deadline = System.currentTimeMillis() + 20000;
        while (System.currentTimeMillis() < deadline && first.assignment().size() < 4) first.poll(Duration.ofMillis(100));
        out.put("afterLeave", first.assignment().size());
        first.commitSync();
      }
      try (Admin a = admin()) {
        Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        Map<String, Object> cm = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) cm.put(e.getKey().toString(), e.getValue().offset());
        out.put("committed", cm);
        List<Object> listed = new ArrayList<>();
        for (ConsumerGroupListing l : a.listConsumerGroups().all().get()) if (l.groupId().equals(group)) listed.add(l.type().map(Object::toString).orElse("?"));
        out.put("listedType", listed);
      }
      Properties sp = new Properties();
      sp.putAll(gp);
      sp.put("group.id", group + "-static");
      sp.put("group.instance.id", prefix + "instance-1");
      try (KafkaConsumer<String, String> c = consumer(sp)) {
        c.subscribe(List.of(topic));
        long deadline = System.currentTimeMillis() + 20000;
        while (System.currentTimeMillis() < deadline && c.assignment().size() < 4) c.poll(Duration.ofMillis(100));
        out.put("staticMember", c.assignment().size());
        try (Admin a = admin()) {
          ConsumerGroupDescription d = a.describeConsumerGroups(List.of(group + "-static")).all().get().get(group + "-static");
          List<Object> ids = new ArrayList<>();
          for (MemberDescription m : d.members()) ids.add(m.groupInstanceId().orElse(null));
          out.put("staticInstanceIds", ids);
        }
      }
      Class<?> patternClass;
      try {
        patternClass = Class.forName("org.apache.kafka.clients.consumer.SubscriptionPattern");
      } catch (ClassNotFoundException e) {
        out.put("regex", "no SubscriptionPattern in this client");
        return out;
      }
      try (Admin a = admin()) {
        createTopic(a, prefix + "cgp-rx-a", 1, null);
        createTopic(a, prefix + "cgp-rx-b", 2, null);
      }
      Properties rp = new Properties();
      rp.putAll(gp);
      rp.put("group.id", group + "-regex");
      try (KafkaConsumer<String, String> c = consumer(rp)) {
        Object pattern = patternClass.getConstructor(String.class).newInstance(prefix.replace(".", "\\.") + "cgp-rx-.*");
        KafkaConsumer.class.getMethod("subscribe", patternClass).invoke(c, pattern);
        long deadline = System.currentTimeMillis() + 20000;
        while (System.currentTimeMillis() < deadline && c.assignment().size() < 3) c.poll(Duration.ofMillis(100));
        Set<String> assigned = new TreeSet<>();
        for (TopicPartition tp : c.assignment()) assigned.add(tp.toString());
        out.put("regex", assigned);
      }
      return out;
    });

    // Listed for the latest client only (scenarios.json): 3.x consumers are not run through it.
    if (!client.startsWith("java-3.")) s.put("consumer-group-migration", () -> {
      // KIP-848 online migration: a classic group upgrades when a group.protocol=consumer member
      // joins, keeps serving its classic member, and stays a consumer group when the classic one
      // leaves; a classic member that joins it later takes the group back to classic once the
      // last consumer-protocol member leaves (group.consumer.migration.policy=bidirectional).
      String topic = prefix + "migration";
      String group = prefix + "migration-group";
      createAndFill(topic, 4, 20, "none");
      Properties classic = new Properties();
      classic.put("group.id", group);
      classic.put("group.protocol", "classic");
      classic.put("session.timeout.ms", "10000");
      classic.put("heartbeat.interval.ms", "300");
      classic.put("max.poll.interval.ms", "20000");
      Properties modern = new Properties();
      modern.put("group.id", group);
      modern.put("group.protocol", "consumer");
      modern.put("max.poll.interval.ms", "20000");
      Map<String, Object> out = new LinkedHashMap<>();
      Set<String> seen = new HashSet<>();
      KafkaConsumer<String, String> c1 = consumer(classic);
      KafkaConsumer<String, String> k1 = null;
      KafkaConsumer<String, String> c2 = null;
      try {
        c1.subscribe(List.of(topic));
        pollUntil(List.of(c1), List.of(4), seen, 20);
        c1.commitSync();
        out.put("classicAlone", List.of(c1.assignment().size()));
        out.put("typeBefore", describeMigration(group));
        k1 = consumer(modern);
        k1.subscribe(List.of(topic));
        out.put("upgraded", pollUntil(List.of(c1, k1), List.of(2, 2), seen, 20));
        out.put("typeUpgraded", describeMigration(group));
        c1.close();
        c1 = null;
        out.put("classicLeft", pollUntil(List.of(k1), List.of(4), seen, 20));
        k1.commitSync();
        out.put("typeAfterClassicLeft", describeMigration(group));
        out.put("distinctRecords", seen.size());
        c2 = consumer(classic);
        c2.subscribe(List.of(topic));
        out.put("classicJoinsConsumerGroup", pollUntil(List.of(k1, c2), List.of(2, 2), seen, 20));
        out.put("typeWithClassicMember", describeMigration(group));
        k1.close();
        k1 = null;
        out.put("downgraded", pollUntil(List.of(c2), List.of(4), seen, 20));
        out.put("typeDowngraded", describeMigration(group));
      } finally {
        for (KafkaConsumer<String, String> c : Arrays.asList(c1, k1, c2)) if (c != null) c.close();
      }
      try (Admin a = admin()) {
        Map<String, Object> cm = new TreeMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()) cm.put(e.getKey().toString(), e.getValue().offset());
        out.put("committed", cm);
      }
      return out;
    });

    s.put("idempotent-producer", () -> {
      String topic = prefix + "idempotent";
      Properties ip = new Properties();
      ip.put("enable.idempotence", "true");
      ip.put("max.in.flight.requests.per.connection", "5");
      List<Object> produced;
      try (KafkaProducer<String, String> p = producer("none", ip)) {
        produced = produce(p, List.of(List.of(pr(topic, 0, null, "a", "1"), pr(topic, 0, null, "b", "2")), List.of(pr(topic, 0, null, "c", "3"))));
      }
      return map("produced", produced, "records", readAssigned(topic, 1, 3, false, new Properties()));
    });

    s.put("transactions", () -> {
      String topic = prefix + "transactions";
      try (Admin a = admin()) {
        createTopic(a, topic, 1, null);
      }
      Properties tp = new Properties();
      tp.put("transactional.id", prefix + "txn");
      tp.put("enable.idempotence", "true");
      try (KafkaProducer<String, String> p = producer("none", tp)) {
        p.initTransactions();
        String[][] runs = {{"c1", "c2", "c3"}, {"a1", "a2", "a3"}, {"c4", "c5"}};
        for (int i = 0; i < runs.length; i++) {
          p.beginTransaction();
          for (String v : runs[i]) p.send(pr(topic, 0, null, v, v));
          p.flush();
          if (i == 1) p.abortTransaction();
          else p.commitTransaction();
        }
      }
      Properties rc = new Properties();
      rc.put("isolation.level", "read_committed");
      List<Object> committed = new ArrayList<>();
      for (Object o : readAssigned(topic, 1, 5, false, rc)) committed.add(((Map<?, ?>) o).get("offset") + ":" + ((Map<?, ?>) o).get("value"));
      List<Object> uncommitted = new ArrayList<>();
      for (Object o : readAssigned(topic, 1, 8, false, new Properties())) uncommitted.add(((Map<?, ?>) o).get("offset") + ":" + ((Map<?, ?>) o).get("value"));
      TopicPartition t0 = new TopicPartition(topic, 0);
      Map<String, Object> out = map("readCommitted", committed, "readUncommitted", uncommitted);
      try (KafkaConsumer<String, String> c = consumer(rc)) {
        out.put("lastStableOffset", c.endOffsets(List.of(t0)).get(t0));
      }
      return out;
    });

    // Consume-transform-produce with exactly-once: offsets go in the transaction
    // (sendOffsetsToTransaction); the second round is aborted and redone. A 4.x client takes
    // the transactions v2 path (Produce v12+, EndTxn v5: the epoch grows with each transaction),
    // a 3.x client the v1 path (AddPartitionsToTxn, AddOffsetsToTxn: the epoch stays).
    s.put("eos-consume-transform-produce", () -> {
      String in = prefix + "eos-in", out = prefix + "eos-out", group = prefix + "eos-group", txnId = prefix + "eos";
      try (Admin a = admin()) {
        createTopic(a, in, 1, null);
        createTopic(a, out, 1, null);
      }
      List<ProducerRecord<String, String>> input = new ArrayList<>();
      for (int i = 0; i < 9; i++) input.add(pr(in, 0, null, "k" + i, "v" + i));
      try (KafkaProducer<String, String> p = producer("none", new Properties())) {
        produce(p, List.of(input));
      }
      Properties tp = new Properties();
      tp.put("transactional.id", txnId);
      tp.put("enable.idempotence", "true");
      Properties cp = new Properties();
      cp.put("group.id", group);
      cp.put("isolation.level", "read_committed");
      cp.put("max.poll.records", "3");
      TopicPartition tin = new TopicPartition(in, 0);
      List<Object> rounds = new ArrayList<>();
      try (KafkaProducer<String, String> p = producer("none", tp); KafkaConsumer<String, String> c = consumer(cp)) {
        p.initTransactions();
        c.assign(List.of(tin));
        c.seek(tin, 0);
        long position = 0;
        long deadline = System.currentTimeMillis() + 30000;
        while (position < 9 && System.currentTimeMillis() < deadline) {
          ConsumerRecords<String, String> recs = c.poll(Duration.ofMillis(200));
          if (recs.isEmpty()) continue;
          p.beginTransaction();
          long next = position;
          for (ConsumerRecord<String, String> r : recs) {
            p.send(pr(out, 0, null, r.key(), r.value().toUpperCase()));
            next = r.offset() + 1;
          }
          // Sent before the outcome is decided: an abort drops batches still lingering in the client.
          p.flush();
          p.sendOffsetsToTransaction(Map.of(tin, new OffsetAndMetadata(next)), c.groupMetadata());
          if (rounds.size() == 1) {
            p.abortTransaction();
            c.seek(tin, position);
            rounds.add("aborted " + position + "-" + (next - 1));
          } else {
            p.commitTransaction();
            rounds.add("committed " + position + "-" + (next - 1));
            position = next;
          }
        }
      }
      Properties rc = new Properties();
      rc.put("isolation.level", "read_committed");
      List<Object> committed = new ArrayList<>();
      for (Object o : readAssigned(out, 1, 9, false, rc)) committed.add(((Map<?, ?>) o).get("offset") + ":" + ((Map<?, ?>) o).get("value"));
      Map<String, Object> result = map("rounds", rounds, "output", committed, "uncommittedCount", readAssigned(out, 1, 12, false, new Properties()).size());
      try (Admin a = admin()) {
        OffsetAndMetadata om = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(15, TimeUnit.SECONDS).get(tin);
        result.put("groupOffset", om == null ? null : om.offset());
        TransactionDescription d = a.describeTransactions(List.of(txnId)).description(txnId).get(15, TimeUnit.SECONDS);
        result.put("transaction", map("state", d.state().toString(), "producerEpoch", d.producerEpoch(), "partitions", d.topicPartitions().size()));
      }
      return result;
    });

    // A hanging transaction ended from outside, as `kafka-transactions abort` does it:
    // DescribeProducers finds the open transaction, WriteTxnMarkers writes its abort marker.
    s.put("admin-abort-transaction", () -> {
      String topic = prefix + "hanging";
      try (Admin a = admin()) {
        createTopic(a, topic, 1, null);
      }
      Properties tp = new Properties();
      tp.put("transactional.id", prefix + "hanging");
      tp.put("enable.idempotence", "true");
      TopicPartition t0 = new TopicPartition(topic, 0);
      Properties rc = new Properties();
      rc.put("isolation.level", "read_committed");
      KafkaProducer<String, String> p = producer("none", tp);
      try (Admin a = admin(); KafkaConsumer<String, String> c = consumer(rc)) {
        p.initTransactions();
        p.beginTransaction();
        p.send(pr(topic, 0, null, "k", "hanging")).get(15, TimeUnit.SECONDS);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("lastStableOffsetBefore", c.endOffsets(List.of(t0)).get(t0));
        ProducerState ps = a.describeProducers(List.of(t0)).partitionResult(t0).get(15, TimeUnit.SECONDS).activeProducers().get(0);
        out.put("openTransactionStart", ps.currentTransactionStartOffset().orElse(-1L));
        a.abortTransaction(new AbortTransactionSpec(t0, ps.producerId(), (short) ps.producerEpoch(), ps.coordinatorEpoch().orElse(0))).all().get(15, TimeUnit.SECONDS);
        out.put("lastStableOffsetAfter", c.endOffsets(List.of(t0)).get(t0));
        ProducerState after = a.describeProducers(List.of(t0)).partitionResult(t0).get(15, TimeUnit.SECONDS).activeProducers().get(0);
        out.put("openTransactionStartAfter", after.currentTransactionStartOffset().orElse(-1L));
        // The coordinator still has the transaction open: end it, so that it lists as
        // CompleteAbort on both brokers rather than whatever its timeout has made of it.
        p.abortTransaction();
        return out;
      } finally {
        p.close(Duration.ZERO);
      }
    });

    s.put("error-unknown-topic-no-autocreate", () -> {
      Properties p = new Properties();
      p.put("allow.auto.create.topics", "false");
      try (KafkaConsumer<String, String> c = consumer(p)) {
        Map<String, List<PartitionInfo>> topics = c.listTopics();
        List<PartitionInfo> pi = c.partitionsFor(prefix + "does-not-exist", Duration.ofSeconds(3));
        return map("partitionsFor", pi == null ? null : pi.size(), "listedAfter", c.listTopics().containsKey(prefix + "does-not-exist"));
      } catch (Exception e) {
        return map("error", errorName(e));
      }
    });

    s.put("error-invalid-topic-name", () -> {
      Map<String, Object> out = new LinkedHashMap<>();
      try (Admin a = admin()) {
        for (String name : List.of("bad topic!", "x".repeat(250), "..")) {
          try {
            a.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(10, TimeUnit.SECONDS);
            out.put(name.length() > 20 ? name.substring(0, 20) : name, "created");
          } catch (Exception e) {
            out.put(name.length() > 20 ? name.substring(0, 20) : name, errorName(e));
          }
        }
      }
      return out;
    });

    s.put("error-record-too-large", () -> {
      Properties p = new Properties();
      p.put("max.request.size", String.valueOf(8 * 1024 * 1024)); // let the broker decide
      p.put("retries", "0");
      try (KafkaProducer<String, String> prod = producer("none", p)) {
        produce(prod, List.of(List.of(pr(prefix + "too-large", 0, null, "k", "small"))));
        try {
          produce(prod, List.of(List.of(pr(prefix + "too-large", 0, null, "k", "y".repeat(2 * 1024 * 1024)))));
          return map("error", null);
        } catch (Exception e) {
          return map("error", errorName(e));
        }
      }
    });

    s.put("error-replication-factor", () -> {
      try (Admin a = admin()) {
        a.createTopics(List.of(new NewTopic(prefix + "rf3", 1, (short) 3))).all().get(10, TimeUnit.SECONDS);
        return map("error", null);
      } catch (Exception e) {
        return map("error", errorName(e));
      }
    });
    return s;
  }

  public static void main(String[] args) throws Exception {
    bootstrap = args[0];
    client = args[1];
    prefix = client + "-";
    System.out.println(json(map("client", client, "versions", map("kafka-clients", args[2]))));
    runScenarios(client, scenarios());
    System.exit(0);
  }

}
