import java.lang.reflect.Method;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.*;
import org.apache.kafka.common.acl.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.quota.*;
import org.apache.kafka.common.resource.*;

/**
 * The AdminClient sweep: calls every public method of Admin once, in an order where later
 * calls find what earlier ones made, and prints one JSON line per method (client "admin-sweep",
 * scenario = method name) with the outcome normalized to "ok <shape>" or "error <exception
 * class>". Both brokers get the same calls, so the runner's diff shows which methods Skiff
 * answers differently. A method of Admin that the sweep does not call is reported as an error,
 * so a new client release cannot slip a method past it.
 *
 *   java -cp <classes>:<kafka-clients libs> AdminSweep <bootstrap> <client version>
 *   java -cp <classes>:<kafka-clients libs> AdminSweep --list    (the scenarios.json entries)
 */
public class AdminSweep {
  static final String P = "admin-sweep-";
  static final String TOPIC = P + "topic";
  static final String GROUP = P + "group";
  static final String SHARE_GROUP = P + "share-group";
  static final String STREAMS_GROUP = P + "streams-group";
  static final String TXN = P + "txn";
  static final String USER = P + "user";
  static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  interface Call {
    Object run(Admin admin) throws Exception;
  }

  static final class Step {
    final String method;
    final String what;
    final Call call;

    Step(String method, String what, Call call) {
      this.method = method;
      this.what = what;
      this.call = call;
    }
  }

  static final List<Step> STEPS = new ArrayList<>();

  static void step(String method, String what, Call call) {
    STEPS.add(new Step(method, what, call));
  }

  static {
    step("createTopics", "a topic with 1 partition, replication factor 1", a -> a.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))));
    step("listTopics", "topic names", a -> a.listTopics().names());
    step("describeTopics", "the sweep's topic", a -> a.describeTopics(List.of(TOPIC)).allTopicNames());
    step("describeCluster", "cluster id", a -> a.describeCluster().clusterId());
    step("describeConfigs", "the topic and broker 1", a -> a.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC), new ConfigResource(ConfigResource.Type.BROKER, "1"))));
    step("incrementalAlterConfigs", "SET the topic's retention.ms", a -> a.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC),
        List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "100000000"), AlterConfigOp.OpType.SET)))));
    step("createPartitions", "grow the topic to 2 partitions", a -> a.createPartitions(Map.of(TOPIC, NewPartitions.increaseTo(2))));
    step("deleteRecords", "before offset 0 of partition 0", a -> a.deleteRecords(Map.of(TP, RecordsToDelete.beforeOffset(0))));
    step("listOffsets", "latest of partition 0", a -> a.listOffsets(Map.of(TP, OffsetSpec.latest())));
    step("describeLogDirs", "broker 1", a -> a.describeLogDirs(List.of(1)).allDescriptions());
    step("describeReplicaLogDirs", "partition 0 on broker 1", a -> a.describeReplicaLogDirs(List.of(new TopicPartitionReplica(TOPIC, 0, 1))));
    step("alterReplicaLogDirs", "partition 0 to a directory the broker does not have", a -> a.alterReplicaLogDirs(Map.of(new TopicPartitionReplica(TOPIC, 0, 1), "/nonexistent-admin-sweep")));
    step("electLeaders", "preferred leader of partition 0", a -> a.electLeaders(ElectionType.PREFERRED, Set.of(TP)).partitions());
    step("alterPartitionReassignments", "partition 0 to replicas [1]", a -> a.alterPartitionReassignments(Map.of(TP, Optional.of(new NewPartitionReassignment(List.of(1))))));
    step("listPartitionReassignments", "all", a -> a.listPartitionReassignments().reassignments());
    step("alterConsumerGroupOffsets", "offset 0 of partition 0 for an empty group", a -> a.alterConsumerGroupOffsets(GROUP, Map.of(TP, new OffsetAndMetadata(0))));
    step("listConsumerGroupOffsets", "that group", a -> a.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata());
    step("describeConsumerGroups", "that group", a -> a.describeConsumerGroups(List.of(GROUP)));
    step("listConsumerGroups", "all", a -> a.listConsumerGroups().all());
    step("listGroups", "all", a -> a.listGroups().all());
    step("describeClassicGroups", "that group", a -> a.describeClassicGroups(List.of(GROUP)));
    step("removeMembersFromConsumerGroup", "a member the group does not have", a -> a.removeMembersFromConsumerGroup(GROUP,
        new RemoveMembersFromConsumerGroupOptions(List.of(new MemberToRemove("admin-sweep-nobody")))));
    step("deleteConsumerGroupOffsets", "partition 0 of that group", a -> a.deleteConsumerGroupOffsets(GROUP, Set.of(TP)));
    step("deleteConsumerGroups", "that group", a -> a.deleteConsumerGroups(List.of(GROUP)));
    step("alterShareGroupOffsets", "offset 0 of partition 0 for a share group", a -> a.alterShareGroupOffsets(SHARE_GROUP, Map.of(TP, 0L)));
    step("listShareGroupOffsets", "that share group", a -> a.listShareGroupOffsets(Map.of(SHARE_GROUP, new ListShareGroupOffsetsSpec())));
    step("describeShareGroups", "that share group", a -> a.describeShareGroups(List.of(SHARE_GROUP)));
    step("deleteShareGroupOffsets", "the topic in that share group", a -> a.deleteShareGroupOffsets(SHARE_GROUP, Set.of(TOPIC)));
    step("deleteShareGroups", "that share group", a -> a.deleteShareGroups(List.of(SHARE_GROUP)));
    step("alterStreamsGroupOffsets", "offset 0 of partition 0 for a streams group", a -> a.alterStreamsGroupOffsets(STREAMS_GROUP, Map.of(TP, new OffsetAndMetadata(0))));
    step("listStreamsGroupOffsets", "that streams group", a -> a.listStreamsGroupOffsets(Map.of(STREAMS_GROUP, new ListStreamsGroupOffsetsSpec())));
    step("describeStreamsGroups", "that streams group", a -> a.describeStreamsGroups(List.of(STREAMS_GROUP)));
    step("deleteStreamsGroupOffsets", "partition 0 of that streams group", a -> a.deleteStreamsGroupOffsets(STREAMS_GROUP, Set.of(TP)));
    step("deleteStreamsGroups", "that streams group", a -> a.deleteStreamsGroups(List.of(STREAMS_GROUP)));
    AclBinding acl = new AclBinding(new ResourcePattern(ResourceType.TOPIC, TOPIC, PatternType.LITERAL),
        new AccessControlEntry("User:" + USER, "*", AclOperation.READ, AclPermissionType.ALLOW));
    step("createAcls", "READ on the topic for one user", a -> a.createAcls(List.of(acl)));
    step("describeAcls", "any", a -> a.describeAcls(AclBindingFilter.ANY).values());
    step("deleteAcls", "the topic's", a -> a.deleteAcls(List.of(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, TOPIC, PatternType.LITERAL), AccessControlEntryFilter.ANY))));
    step("createDelegationToken", "for the caller", a -> a.createDelegationToken().delegationToken());
    step("renewDelegationToken", "an unknown token", a -> a.renewDelegationToken("admin-sweep".getBytes()).expiryTimestamp());
    step("expireDelegationToken", "an unknown token", a -> a.expireDelegationToken("admin-sweep".getBytes()).expiryTimestamp());
    step("describeDelegationToken", "all", a -> a.describeDelegationToken().delegationTokens());
    ClientQuotaEntity quotaUser = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, USER));
    step("alterClientQuotas", "producer_byte_rate for one user", a -> a.alterClientQuotas(List.of(new ClientQuotaAlteration(quotaUser, List.of(new ClientQuotaAlteration.Op("producer_byte_rate", 1048576.0))))));
    step("describeClientQuotas", "that user's", a -> a.describeClientQuotas(ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.USER, USER)))).entities());
    step("alterUserScramCredentials", "a SCRAM-SHA-256 credential for one user", a -> a.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(USER, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), "admin-sweep-secret"))));
    step("describeUserScramCredentials", "that user's", a -> a.describeUserScramCredentials(List.of(USER)));
    step("describeFeatures", "all", a -> a.describeFeatures().featureMetadata());
    step("updateFeatures", "validate-only upgrade of a feature the broker does not have", a -> a.updateFeatures(
        Map.of("admin.sweep.feature", new FeatureUpdate((short) 1, FeatureUpdate.UpgradeType.UPGRADE)), new UpdateFeaturesOptions().validateOnly(true)));
    step("describeMetadataQuorum", "the quorum", a -> a.describeMetadataQuorum().quorumInfo());
    step("unregisterBroker", "broker 99, which is not registered", a -> a.unregisterBroker(99));
    step("unregisterController", "controller 99, which is not registered", a -> a.unregisterController(99));
    step("addRaftVoter", "voter 99 with a random directory id", a -> a.addRaftVoter(99, Uuid.randomUuid(), Set.of(new RaftVoterEndpoint("CONTROLLER", "127.0.0.1", 1))));
    step("removeRaftVoter", "voter 99 with a random directory id", a -> a.removeRaftVoter(99, Uuid.randomUuid()));
    step("describeProducers", "partition 0", a -> a.describeProducers(List.of(TP)));
    step("listTransactions", "all", a -> a.listTransactions().all());
    step("describeTransactions", "an unknown transactional id", a -> a.describeTransactions(List.of(TXN)));
    step("fenceProducers", "that transactional id", a -> a.fenceProducers(List.of(TXN)));
    step("abortTransaction", "a producer that never wrote to partition 0", a -> a.abortTransaction(new AbortTransactionSpec(TP, 12345L, (short) 0, 0)));
    step("forceTerminateTransaction", "that transactional id", a -> a.forceTerminateTransaction(TXN));
    step("listClientMetricsResources", "all", a -> a.listClientMetricsResources());
    step("listConfigResources", "all", a -> a.listConfigResources());
    step("clientInstanceId", "with a 2 s wait", a -> a.clientInstanceId(Duration.ofSeconds(2)));
    step("metrics", "the client's own (no request)", a -> a.metrics());
    step("registerMetricForSubscription", "null (no request)", a -> { a.registerMetricForSubscription(null); return null; });
    step("unregisterMetricFromSubscription", "null (no request)", a -> { a.unregisterMetricFromSubscription(null); return null; });
    step("deleteTopics", "the sweep's topic", a -> a.deleteTopics(List.of(TOPIC)));
    step("close", "with a 5 s wait", a -> { a.close(Duration.ofSeconds(5)); return null; });
  }

  /** The future a result object holds: its all(), else its only (alphabetically first) future accessor. */
  static Object await(Object result) throws Exception {
    if (result instanceof KafkaFuture) return ((KafkaFuture<?>) result).get(10, TimeUnit.SECONDS);
    if (result == null || result.getClass().getPackageName().startsWith("java.")) return result;
    Method all = null;
    for (Method m : result.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || !KafkaFuture.class.isAssignableFrom(m.getReturnType())) continue;
      if (m.getName().equals("all")) { all = m; break; }
      if (all == null || m.getName().compareTo(all.getName()) < 0) all = m;
    }
    return all == null ? result : ((KafkaFuture<?>) all.invoke(result)).get(10, TimeUnit.SECONDS);
  }

  static String shape(Object value) {
    if (value == null) return "none";
    if (value instanceof Map) return "map";
    if (value instanceof Collection) return "collection";
    return value.getClass().getSimpleName();
  }

  static String outcome(Throwable e) {
    Throwable t = e;
    while ((t instanceof ExecutionException || t instanceof java.lang.reflect.InvocationTargetException) && t.getCause() != null) t = t.getCause();
    String name = t.getClass().getName();
    // java.util.concurrent.TimeoutException: the sweep gave up waiting, not the broker's answer.
    return name.startsWith("java.util.concurrent.") ? "no answer within 10 s" : "error " + t.getClass().getSimpleName();
  }

  static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  static void emit(String method, boolean ok, String text) {
    String body = ok ? "\"ok\":true,\"result\":{\"outcome\":" + json(text) + "}" : "\"ok\":false,\"error\":" + json(text);
    System.out.println("{\"client\":\"admin-sweep\",\"scenario\":" + json(method) + "," + body + "}");
    System.out.flush();
  }

  public static void main(String[] args) {
    if (args[0].equals("--list")) {
      StringJoiner j = new StringJoiner(",\n    ", "{\n    ", "\n  }");
      for (Step s : STEPS) j.add(json(s.method) + ": " + json("Admin." + s.method + ": " + s.what));
      j.add(json("create") + ": " + json("Admin.create: the client the sweep uses"));
      System.out.println(j);
      return;
    }
    System.out.println("{\"client\":\"admin-sweep\",\"versions\":{\"kafka-clients\":" + json(args[1]) + "}}");
    Set<String> called = new TreeSet<>();
    for (Step s : STEPS) called.add(s.method);
    called.add("create");
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("client.id", "skiff-compat-admin-sweep");
    p.put("request.timeout.ms", "5000");
    p.put("default.api.timeout.ms", "8000");
    p.put("retry.backoff.ms", "100");
    p.put("reconnect.backoff.max.ms", "1000");
    Admin admin;
    try {
      admin = Admin.create(p);
      emit("create", true, "ok " + shape(admin).replaceAll(".*Admin.*", "Admin"));
    } catch (Exception e) {
      emit("create", true, outcome(e));
      return;
    }
    for (Step s : STEPS) {
      String text;
      try {
        text = "ok " + shape(await(s.call.run(admin)));
      } catch (Throwable e) {
        text = outcome(e);
      }
      emit(s.method, true, text);
    }
    for (Method m : Admin.class.getMethods()) {
      if (!called.contains(m.getName())) {
        called.add(m.getName());
        emit(m.getName(), false, "Admin." + m.getName() + " is not called by the sweep: add it to AdminSweep.java");
      }
    }
  }
}
