import java.time.Duration;
import java.util.*;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.acl.*;
import org.apache.kafka.common.resource.*;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * The Java client (kafka-clients of the release kafka/kafka.sh pins) against the security
 * profile: java Security.java (source-file mode, kafka.sh's classpath) <target>. Listeners and
 * key material from COMPAT_LISTENERS and COMPAT_CERTS. One JSON line per scenario; errors are
 * results where the scenario is about the error (the exception class and message).
 */
public class Security {
  static final Map<String, String> LISTENERS = new HashMap<>();
  static final String CERTS = System.getenv("COMPAT_CERTS");
  static String client;

  static String json(Object o) {
    if (o == null) return "null";
    if (o instanceof String s) {
      StringBuilder b = new StringBuilder("\"");
      for (char c : s.toCharArray()) {
        if (c == '"' || c == '\\') b.append('\\').append(c);
        else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
        else b.append(c);
      }
      return b.append('"').toString();
    }
    if (o instanceof Number || o instanceof Boolean) return o.toString();
    if (o instanceof Map<?, ?> m) {
      StringJoiner j = new StringJoiner(",", "{", "}");
      for (Map.Entry<?, ?> e : m.entrySet()) j.add(json(String.valueOf(e.getKey())) + ":" + json(e.getValue()));
      return j.toString();
    }
    if (o instanceof Collection<?> c) {
      StringJoiner j = new StringJoiner(",", "[", "]");
      for (Object x : c) j.add(json(x));
      return j.toString();
    }
    return json(o.toString());
  }

  static Properties props(String listener, String... kv) {
    Properties p = new Properties();
    p.put("bootstrap.servers", LISTENERS.get(listener));
    p.put("client.id", "skiff-compat-security-java");
    p.put("request.timeout.ms", "8000");
    p.put("default.api.timeout.ms", "15000");
    p.put("max.block.ms", "15000");
    p.put("ssl.truststore.type", "PEM");
    p.put("ssl.truststore.location", CERTS + "/ca.pem");
    for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
    return p;
  }

  static Properties scram(String listener, String protocol, String mechanism, String user, String password) {
    return props(listener, "security.protocol", protocol, "sasl.mechanism", mechanism, "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password + "\";");
  }

  /** Three keyed records in (acks=all, idempotent as the client defaults), read back with assign() from offset 0. */
  static Object produceConsume(Properties p, String topic) throws Exception {
    List<String> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 3; i++) {
        RecordMetadata m = producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)).get();
        sent.add(m.partition() + ":" + m.offset());
      }
    }
    List<String> got = new ArrayList<>();
    Properties c = (Properties) p.clone();
    c.put("group.id", topic);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seek(tp, 0);
      long deadline = System.currentTimeMillis() + 20_000;
      while (got.size() < 3 && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) got.add(r.offset() + ":" + r.key() + "=" + r.value());
      }
    }
    return Map.of("sent", sent, "consumed", got);
  }

  static Map<String, Object> error(Throwable t) {
    Throwable e = t instanceof ExecutionException && t.getCause() != null ? t.getCause() : t;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", e.getClass().getSimpleName());
    m.put("message", e.getMessage());
    return m;
  }

  interface Body {
    Object run() throws Exception;
  }

  static void scenario(String name, Body body) {
    String only = System.getenv("COMPAT_ONLY");
    if (only != null && !only.isEmpty() && !Arrays.asList(only.split(",")).contains(name)) return;
    long t0 = System.currentTimeMillis();
    String line;
    try {
      line = "{\"client\":" + json(client) + ",\"scenario\":" + json(name) + ",\"ok\":true,\"result\":" + json(body.run()) + "}";
    } catch (Throwable t) {
      line = "{\"client\":" + json(client) + ",\"scenario\":" + json(name) + ",\"ok\":false,\"error\":" + json(t.toString()) + "}";
    }
    System.out.println(line);
    System.out.flush();
    System.err.println("[" + client + "] " + name + " " + (System.currentTimeMillis() - t0) + " ms");
  }

  public static void main(String[] args) {
    for (String e : System.getenv("COMPAT_LISTENERS").split(",")) LISTENERS.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
    String version = AppInfoParser.getVersion();
    client = "java-" + version;
    System.out.println("{\"client\":" + json(client) + ",\"versions\":{\"kafka-clients\":" + json(version) + "}}");

    scenario("sec-java-sasl-ssl-scram", () -> produceConsume(scram("SASL_SSL", "SASL_SSL", "SCRAM-SHA-256", "alice", "alice-secret"), "sec-java-sasl-ssl"));
    scenario("sec-java-mtls", () -> produceConsume(props("MTLS", "security.protocol", "SSL", "ssl.keystore.type", "PEM", "ssl.keystore.location", CERTS + "/client.pem"), "sec-java-mtls"));
    scenario("sec-java-oauthbearer", () -> produceConsume(props("SASL_PLAINTEXT", "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "OAUTHBEARER", "sasl.jaas.config",
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"alice\";"), "sec-java-oauthbearer"));
    scenario("sec-java-denied-produce", () -> {
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(scram("SASL_PLAINTEXT", "SASL_PLAINTEXT", "SCRAM-SHA-512", "alice", "alice-secret"), new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("sec-denied", 0, "k", "v")).get();
        return Map.of("error", "none");
      } catch (ExecutionException e) {
        return error(e);
      }
    });
    scenario("sec-java-acls-admin", () -> {
      try (Admin admin = Admin.create(scram("SASL_PLAINTEXT", "SASL_PLAINTEXT", "SCRAM-SHA-512", "admin", "admin-secret"))) {
        ResourcePattern topic = new ResourcePattern(ResourceType.TOPIC, "sec-java-acls", PatternType.LITERAL);
        ResourcePattern group = new ResourcePattern(ResourceType.GROUP, "sec-java-", PatternType.PREFIXED);
        admin.createAcls(List.of(
            new AclBinding(topic, new AccessControlEntry("User:bob", "*", AclOperation.WRITE, AclPermissionType.ALLOW)),
            new AclBinding(topic, new AccessControlEntry("User:bob", "127.0.0.1", AclOperation.READ, AclPermissionType.DENY)),
            new AclBinding(group, new AccessControlEntry("User:bob", "*", AclOperation.READ, AclPermissionType.ALLOW)))).all().get();
        List<String> bob = new ArrayList<>();
        AclBindingFilter bobs = new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter("User:bob", null, AclOperation.ANY, AclPermissionType.ANY));
        // Kafka answers DescribeAcls from hash maps, in no defined order.
        for (AclBinding b : admin.describeAcls(bobs).values().get()) bob.add(b.toString());
        Collections.sort(bob);
        // bob's literal bindings on the topic only: a MATCH filter would also take the suite's User:* prefixed grant.
        Collection<AclBinding> deleted = admin.deleteAcls(List.of(new AclBindingFilter(
            new ResourcePatternFilter(ResourceType.TOPIC, "sec-java-acls", PatternType.LITERAL),
            new AccessControlEntryFilter("User:bob", null, AclOperation.ANY, AclPermissionType.ANY)))).all().get();
        List<String> after = new ArrayList<>();
        for (AclBinding b : admin.describeAcls(bobs).values().get()) after.add(b.toString());
        Collections.sort(after);
        return Map.of("described", bob, "deleted", deleted.size(), "after", after);
      }
    });
    scenario("sec-java-wrong-password", () -> {
      try (Admin admin = Admin.create(scram("SASL_PLAINTEXT", "SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", "wrong"))) {
        admin.listTopics().names().get();
        return Map.of("error", "none");
      } catch (ExecutionException e) {
        return error(e);
      }
    });
  }
}
