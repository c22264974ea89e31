package dev.skiff.example;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** Starts Skiff with a GenericContainer, produces and consumes with kafka-clients, stops it. */
public final class SkiffExample {
  static final int KAFKA_PORT = 9092;

  /**
   * Kafka clients connect to the address the broker advertises, which must name the host port
   * mapped to 9092, known only once the container runs: the entrypoint waits for its start
   * arguments in a file, written as the container starts.
   */
  static final class SkiffContainer extends GenericContainer<SkiffContainer> {
    SkiffContainer(String image) {
      super(DockerImageName.parse(image));
      withExposedPorts(KAFKA_PORT);
      withCreateContainerCmdModifier(cmd -> cmd
          .withEntrypoint("sh", "-c", "while [ ! -f /tmp/skiff.args ]; do sleep 0.02; done; exec node /app/bin/skiff.js start $(cat /tmp/skiff.args)")
          .withCmd(List.of()));
      waitingFor(Wait.forLogMessage(".*Skiff listening on.*", 1));
    }

    @Override
    protected void containerIsStarting(InspectContainerResponse info) {
      String args = "--host 0.0.0.0 --port 9092 --data-dir /data --override advertised.listeners=PLAINTEXT://"
          + getHost() + ":" + getMappedPort(KAFKA_PORT);
      try {
        ExecResult res = execInContainer("sh", "-c", "printf '%s' \"$0\" > /tmp/skiff.args.tmp && mv /tmp/skiff.args.tmp /tmp/skiff.args", args);
        if (res.getExitCode() != 0) throw new IllegalStateException("could not pass start arguments: " + res.getStderr());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    String getBootstrapServers() {
      return getHost() + ":" + getMappedPort(KAFKA_PORT);
    }
  }

  public static void main(String[] args) throws Exception {
    String image = args.length > 0 ? args[0] : "skiff:latest";
    // Finding the container runtime happens once per JVM: timed apart from the start.
    long t0 = System.nanoTime();
    DockerClientFactory.instance().client();
    long discoveryMs = (System.nanoTime() - t0) / 1_000_000;
    t0 = System.nanoTime();
    try (SkiffContainer skiff = new SkiffContainer(image)) {
      // Lets docker/test.sh find and remove the container should this JVM die before close().
      String label = System.getenv("SKIFF_DOCKER_TEST_LABEL");
      if (label != null) skiff.withLabel("skiff.docker-test", label);
      skiff.start();
      long startMs = (System.nanoTime() - t0) / 1_000_000;
      String bootstrap = skiff.getBootstrapServers();

      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      int count = 3;
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        for (int i = 0; i < count; i++) producer.send(new ProducerRecord<>("java-example", "k" + i, "v" + i)).get();
      }

      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.GROUP_ID_CONFIG, "java-example");
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      int consumed = 0;
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        consumer.subscribe(List.of("java-example"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (consumed < count && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) consumed++;
        }
      }
      if (consumed != count) throw new IllegalStateException("consumed " + consumed + " of " + count + " records");
      System.out.printf("java-example: GenericContainer started Skiff in %d ms (finding the runtime took %d ms before);"
          + " kafka-clients produced and consumed %d records via %s%n", startMs, discoveryMs, consumed, bootstrap);
    }
  }
}
