import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;

/**
 * Kafka Streams word count with processing.guarantee=exactly_once_v2 (compiled and run by ./run
 * next to Scenarios, with kafka-streams of the same release as kafka-clients).
 * Scenario streams-eos: 2,000 fixed lines go to a 3-partition input topic; a first Streams
 * instance runs in a child JVM that halts itself (Runtime.halt, no clean-up) after 3,000 count updates (of about 6,000),
 * in the middle of an open transaction whose records were sent; a second instance with the same application id and state
 * dir (so the same transactional id) takes over, which aborts the open transaction and redoes
 * it. The output topic is read with isolation.level=read_committed until every word's last count
 * equals the expected count (at most 60 s).
 * Scenario streams-eos-streams-protocol (kafka-streams 4.x only): the same with
 * group.protocol=streams (KIP-1071, the broker assigns the tasks). The halted instance stays a
 * member until its session times out (group.streams.session.timeout.ms, 45 s at least), so the
 * output is awaited for 180 s.
 * Mode app (cli.sh's kafka-streams-groups scenario): the word count with group.protocol=streams
 * and no halt, for a number of seconds, then closed.
 * Usage: StreamsEos <bootstrap> <client> [worker <stateDir> <classic|streams> | app <stateDir> <seconds>]
 */
public class StreamsEos {
  static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
      "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"};
  static final int LINES = 2000;
  static final int HALT_AFTER = 3000;

  static String line(int i) {
    StringBuilder b = new StringBuilder();
    int n = 1 + i % 5;
    for (int j = 0; j < n; j++) b.append(j == 0 ? "" : " ").append(WORDS[(i * 7 + j * 3) % WORDS.length]);
    return b.toString();
  }

  static Properties streamsProps(String bootstrap, String prefix, String stateDir, String protocol) {
    Properties p = new Properties();
    if (protocol.equals("streams")) p.put("group.protocol", "streams");
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix + "wordcount");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, "exactly_once_v2");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
    p.put("statestore.cache.max.bytes", "0");
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "6000");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), "1000");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), "100");
    p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), "10000");
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.String().getClass().getName());
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.String().getClass().getName());
    return p;
  }

  static Topology topology(String prefix, int haltAfter) {
    AtomicInteger seen = new AtomicInteger();
    StreamsBuilder b = new StreamsBuilder();
    KStream<String, Long> counts = b.<String, String>stream(prefix + "streams-in")
        .flatMapValues(v -> Arrays.asList(v.split(" ")))
        .groupBy((k, w) -> w, Grouped.with(Serdes.String(), Serdes.String()))
        .count(Materialized.as("counts"))
        .toStream();
    counts.to(prefix + "streams-out", Produced.with(Serdes.String(), Serdes.Long()));
    // After the sink (children run in order): the count updates are read from the repartition
    // topic (read_committed), so they start after a first commit and the open transaction holds
    // output records when this fires.
    counts.peek((w, n) -> {
      if (haltAfter > 0 && seen.incrementAndGet() == haltAfter) {
        // Let the producer send what it holds (linger), then stop abruptly: no commit, no
        // abort, no clean-up.
        try { Thread.sleep(1500); } catch (InterruptedException e) { }
        Runtime.getRuntime().halt(3);
      }
    });
    return b.build();
  }

  static void worker(String bootstrap, String prefix, String stateDir, String protocol) throws Exception {
    KafkaStreams ks = new KafkaStreams(topology(prefix, HALT_AFTER), streamsProps(bootstrap, prefix, stateDir, protocol));
    ks.start();
    Thread.sleep(60_000);
    System.exit(4); // never halted: the parent reports it
  }

  static String json(String s) { return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\""; }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], client = args[1];
    if (args.length > 2 && args[2].equals("worker")) { worker(bootstrap, client, args[3], args[4]); return; }
    if (args.length > 2 && args[2].equals("app")) {
      KafkaStreams ks = new KafkaStreams(topology(client, 0), streamsProps(bootstrap, client, args[3], "streams"));
      ks.start();
      Thread.sleep(Long.parseLong(args[4]) * 1000);
      ks.close(Duration.ofSeconds(10));
      System.exit(0);
    }
    scenario(bootstrap, client, "streams-eos", "classic");
    // group.protocol=streams exists from kafka-streams 4.1 on.
    if (Arrays.stream(StreamsConfig.class.getFields()).anyMatch(f -> f.getName().equals("GROUP_PROTOCOL_CONFIG"))) scenario(bootstrap, client, "streams-eos-streams-protocol", "streams");
    System.exit(0);
  }

  static void scenario(String bootstrap, String client, String name, String protocol) {
    String only = System.getenv("COMPAT_ONLY");
    if (only != null && !Arrays.asList(only.split(",")).contains(name)) return;
    String prefix = client + (protocol.equals("streams") ? "-sp-" : "-");
    long t0 = System.currentTimeMillis();
    String line;
    try {
      line = "\"ok\":true,\"result\":" + run(bootstrap, prefix, protocol);
    } catch (Throwable e) {
      line = "\"ok\":false,\"error\":" + json(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    System.out.println("{\"client\":" + json(client) + ",\"scenario\":" + json(name) + "," + line + "}");
    System.out.flush();
    System.err.println("[" + client + "] " + name + " " + (System.currentTimeMillis() - t0) + " ms");
  }

  static String run(String bootstrap, String prefix, String protocol) throws Exception {
    Properties ap = new Properties();
    ap.put("bootstrap.servers", bootstrap);
    try (Admin a = Admin.create(ap)) {
      a.createTopics(List.of(new NewTopic(prefix + "streams-in", 3, (short) 1), new NewTopic(prefix + "streams-out", 3, (short) 1)))
          .all().get(15, TimeUnit.SECONDS);
    }
    Map<String, Long> expected = new TreeMap<>();
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("acks", "all");
    try (KafkaProducer<String, String> p = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < LINES; i++) {
        String l = line(i);
        for (String w : l.split(" ")) expected.merge(w, 1L, Long::sum);
        p.send(new ProducerRecord<>(prefix + "streams-in", "line-" + i, l));
      }
      p.flush();
    }
    File stateDir = Files.createTempDirectory("skiff-streams-eos").toFile();
    try {
      // First instance: a child JVM that halts itself mid-transaction.
      ProcessBuilder pb = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(),
          "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
          "StreamsEos", bootstrap, prefix, "worker", stateDir.getPath(), protocol);
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      Process child = pb.start();
      if (!child.waitFor(45, TimeUnit.SECONDS)) {
        child.destroyForcibly();
        throw new IllegalStateException("first instance did not reach count update " + HALT_AFTER + " in 45 s");
      }
      if (child.exitValue() != 3) throw new IllegalStateException("first instance exited with " + child.exitValue());
      // Second instance: same application id and state dir, takes over.
      KafkaStreams ks = new KafkaStreams(topology(prefix, 0), streamsProps(bootstrap, prefix, stateDir.getPath(), protocol));
      ks.start();
      try {
        Properties cp = new Properties();
        cp.put("bootstrap.servers", bootstrap);
        cp.put("isolation.level", "read_committed");
        cp.put("auto.offset.reset", "earliest");
        cp.put("enable.auto.commit", "false");
        Map<String, Long> last = new TreeMap<>();
        int records = 0;
        try (KafkaConsumer<String, Long> c = new KafkaConsumer<>(cp, new StringDeserializer(), new LongDeserializer())) {
          List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
          for (int i = 0; i < 3; i++) tps.add(new org.apache.kafka.common.TopicPartition(prefix + "streams-out", i));
          c.assign(tps);
          c.seekToBeginning(tps);
          long deadline = System.currentTimeMillis() + (protocol.equals("streams") ? 180_000 : 60_000);
          while (!last.equals(expected) && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, Long> r : c.poll(Duration.ofMillis(500))) {
              last.put(r.key(), r.value());
              records++;
            }
          }
        }
        // The aborted transaction's records are there for read_uncommitted only.
        int uncommitted = 0;
        cp.put("isolation.level", "read_uncommitted");
        try (KafkaConsumer<String, Long> c = new KafkaConsumer<>(cp, new StringDeserializer(), new LongDeserializer())) {
          List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
          for (int i = 0; i < 3; i++) tps.add(new org.apache.kafka.common.TopicPartition(prefix + "streams-out", i));
          c.assign(tps);
          c.seekToBeginning(tps);
          Map<org.apache.kafka.common.TopicPartition, Long> end = c.endOffsets(tps);
          long deadline = System.currentTimeMillis() + 15_000;
          while (System.currentTimeMillis() < deadline && tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
            uncommitted += c.poll(Duration.ofMillis(500)).count();
          }
        }
        boolean exact = last.equals(expected);
        StringBuilder diff = new StringBuilder();
        if (!exact) for (String w : expected.keySet()) if (!Objects.equals(expected.get(w), last.get(w))) diff.append(w).append('=').append(last.get(w)).append("/").append(expected.get(w)).append(' ');
        return "{\"lines\":" + LINES + ",\"words\":" + expected.size() + ",\"countsExact\":" + exact + ",\"abortedRecordsSkipped\":" + (uncommitted > records)
            + (exact ? "" : ",\"diff\":" + json(diff.toString().trim())) + "}";
      } finally {
        ks.close(Duration.ofSeconds(10));
      }
    } finally {
      deleteAll(stateDir);
    }
  }

  static void deleteAll(File f) {
    File[] kids = f.listFiles();
    if (kids != null) for (File k : kids) deleteAll(k);
    f.delete();
  }
}
