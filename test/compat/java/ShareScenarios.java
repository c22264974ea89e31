import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.*;

/**
 * Share groups (KIP-932) with KafkaShareConsumer: several consumers on one partition, the
 * acknowledgement types, redelivery when a lock runs out or a consumer goes, the delivery
 * count limit. Compiled and run by ./run for 4.x clients only (3.x has no share consumer),
 * under the same client name as Scenarios.java; prints the same JSON lines.
 */
public class ShareScenarios {
  static String bootstrap;
  static String client;
  static String prefix;

  interface Scenario extends Scenarios.Scenario {}

  static Properties common() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("client.id", "skiff-compat-java-share");
    p.put("request.timeout.ms", "8000");
    p.put("default.api.timeout.ms", "12000");
    p.put("retry.backoff.ms", "100");
    return p;
  }

  static KafkaShareConsumer<String, String> consumer(String group, boolean explicit) {
    Properties p = common();
    p.put("group.id", group);
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    p.put("share.acknowledgement.mode", explicit ? "explicit" : "implicit");
    p.put("max.poll.records", "5");
    return new KafkaShareConsumer<>(p);
  }

  /** A topic of one partition holding `batches` flushed batches of 5 records (values v0, v1, ...), and the group's settings. */
  static String setUp(String name, String group, int batches, Map<String, String> groupConfigs) throws Exception {
    String topic = prefix + name;
    try (Admin a = Admin.create(common())) {
      a.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(15, TimeUnit.SECONDS);
      List<AlterConfigOp> ops = new ArrayList<>();
      ops.add(new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET));
      for (Map.Entry<String, String> e : groupConfigs.entrySet()) ops.add(new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET));
      a.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), ops)).all().get(15, TimeUnit.SECONDS);
    }
    Properties p = common();
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("linger.ms", "5");
    try (KafkaProducer<String, String> prod = new KafkaProducer<>(p)) {
      int n = 0;
      for (int b = 0; b < batches; b++) {
        List<Future<RecordMetadata>> fs = new ArrayList<>();
        for (int i = 0; i < 5; i++) fs.add(prod.send(new ProducerRecord<>(topic, 0, null, "v" + n++)));
        prod.flush();
        for (Future<RecordMetadata> f : fs) f.get(15, TimeUnit.SECONDS);
      }
    }
    return topic;
  }

  /** Polls until `until` holds or the deadline passes, handing each record to `each`; explicit consumers acknowledge in `each` and commit here. */
  static void pollUntil(KafkaShareConsumer<String, String> c, long ms, java.util.function.BooleanSupplier until, java.util.function.Consumer<ConsumerRecord<String, String>> each, boolean explicit) {
    long deadline = System.currentTimeMillis() + ms;
    while (!until.getAsBoolean() && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) each.accept(r);
      if (explicit) c.commitSync();
    }
  }

  /** Subscribes and polls (for up to 15 s) until records come; returns them as [offset, delivery count], unacknowledged. */
  static List<Object> holdUnacknowledged(KafkaShareConsumer<String, String> c, String topic) {
    c.subscribe(List.of(topic));
    List<Object> held = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 15000;
    while (held.isEmpty() && System.currentTimeMillis() < deadline) for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) held.add(List.of(r.offset(), deliveryCount(r)));
    return held;
  }

  /** Subscribes and accepts records until `count` have come (or `ms` pass); returns them as [offset, delivery count]. */
  static List<Object> acceptUntil(KafkaShareConsumer<String, String> c, String topic, long ms, int count) {
    c.subscribe(List.of(topic));
    List<Object> got = new ArrayList<>();
    pollUntil(c, ms, () -> got.size() >= count, r -> {
      got.add(List.of(r.offset(), deliveryCount(r)));
      c.acknowledge(r, AcknowledgeType.ACCEPT);
    }, true);
    return got;
  }

  static int deliveryCount(ConsumerRecord<String, String> r) {
    return r.deliveryCount().map(Short::intValue).orElse(-1);
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  static Map<String, Scenario> scenarios() {
    Map<String, Scenario> s = new LinkedHashMap<>();

    s.put("share-two-consumers", () -> {
      String group = prefix + "share-two";
      String topic = setUp("share-two", group, 6, Map.of());
      List<Long> a = Collections.synchronizedList(new ArrayList<>());
      List<Long> b = Collections.synchronizedList(new ArrayList<>());
      try (KafkaShareConsumer<String, String> c1 = consumer(group, false); KafkaShareConsumer<String, String> c2 = consumer(group, false)) {
        c1.subscribe(List.of(topic));
        c2.subscribe(List.of(topic));
        long deadline = System.currentTimeMillis() + 30000;
        while (a.size() + b.size() < 30 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : c1.poll(Duration.ofMillis(100))) a.add(r.offset());
          for (ConsumerRecord<String, String> r : c2.poll(Duration.ofMillis(100))) b.add(r.offset());
        }
      }
      Set<Long> all = new TreeSet<>(a);
      all.addAll(b);
      Set<Long> both = new TreeSet<>(a);
      both.retainAll(new HashSet<>(b));
      return map("delivered", a.size() + b.size(), "distinct", all.size(), "deliveredTwice", both.size());
    });

    s.put("share-acknowledge-types", () -> {
      String group = prefix + "share-ack";
      String topic = setUp("share-ack", group, 2, Map.of());
      // Offsets 0, 3, 6, 9 accepted, 1, 4, 7 released (and accepted when they come back), 2, 5, 8 rejected.
      List<Object> first = new ArrayList<>();
      List<Object> again = new ArrayList<>();
      try (KafkaShareConsumer<String, String> c = consumer(group, true)) {
        c.subscribe(List.of(topic));
        pollUntil(c, 30000, () -> first.size() >= 10 && again.size() >= 3, r -> {
          if (deliveryCount(r) > 1) {
            again.add(List.of(r.offset(), deliveryCount(r)));
            c.acknowledge(r, AcknowledgeType.ACCEPT);
            return;
          }
          first.add(r.offset());
          long m = r.offset() % 3;
          c.acknowledge(r, m == 0 ? AcknowledgeType.ACCEPT : m == 1 ? AcknowledgeType.RELEASE : AcknowledgeType.REJECT);
        }, true);
        List<Object> after = new ArrayList<>();
        pollUntil(c, 2000, () -> false, r -> {
          after.add(r.offset());
          c.acknowledge(r, AcknowledgeType.ACCEPT);
        }, true);
        return map("first", first, "redelivered", again, "after", after);
      }
    });

    s.put("share-lock-timeout", () -> {
      String group = prefix + "share-lock";
      // The shortest lock Kafka allows by default (group.share.min.record.lock.duration.ms).
      String topic = setUp("share-lock", group, 1, Map.of("share.record.lock.duration.ms", "15000"));
      try (KafkaShareConsumer<String, String> holder = consumer(group, true); KafkaShareConsumer<String, String> other = consumer(group, true)) {
        // The holder takes the records and never acknowledges them, nor polls again.
        List<Object> held = holdUnacknowledged(holder, topic);
        // Once a lock runs out the records are available to every member, the holder included: the
        // holder's client may still have a fetch in flight (it does not stop fetching the moment
        // its application stops polling) and take them again, so the other member then sees
        // delivery count 3 instead of 2, on either broker. What does not depend on that race: the
        // other member gets every held record, each delivered at least twice.
        List<Object> redelivered = new ArrayList<>();
        for (Object o : acceptUntil(other, topic, 50000, held.size())) {
          List<?> r = (List<?>) o;
          redelivered.add(List.of(r.get(0), (Integer) r.get(1) >= 2 ? "at least 2" : r.get(1)));
        }
        return map("held", held, "redelivered", redelivered);
      }
    });

    s.put("share-consumer-closed", () -> {
      String group = prefix + "share-closed";
      String topic = setUp("share-closed", group, 1, Map.of());
      try (KafkaShareConsumer<String, String> other = consumer(group, true)) {
        List<Object> held;
        try (KafkaShareConsumer<String, String> holder = consumer(group, true)) {
          held = holdUnacknowledged(holder, topic);
          // Closed without acknowledging: its records go back to the group at once, not after the lock.
        }
        return map("held", held, "redelivered", acceptUntil(other, topic, 20000, held.size()));
      }
    });

    s.put("share-delivery-limit", () -> {
      String group = prefix + "share-limit";
      String topic = setUp("share-limit", group, 1, Map.of("share.delivery.count.limit", "2"));
      List<Object> deliveries = new ArrayList<>();
      try (KafkaShareConsumer<String, String> c = consumer(group, true)) {
        c.subscribe(List.of(topic));
        // Every delivery is released: after the second one the records are archived.
        pollUntil(c, 30000, () -> deliveries.size() >= 10, r -> {
          deliveries.add(List.of(r.offset(), deliveryCount(r)));
          c.acknowledge(r, AcknowledgeType.RELEASE);
        }, true);
        List<Object> after = new ArrayList<>();
        pollUntil(c, 2000, () -> false, r -> {
          after.add(r.offset());
          c.acknowledge(r, AcknowledgeType.ACCEPT);
        }, true);
        return map("deliveries", deliveries, "after", after);
      }
    });
    return s;
  }

  public static void main(String[] args) throws Exception {
    bootstrap = args[0];
    client = args[1];
    prefix = client + "-";
    Scenarios.runScenarios(client, scenarios());
    System.exit(0);
  }
}
