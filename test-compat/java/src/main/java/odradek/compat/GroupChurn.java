package odradek.compat;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;

/**
 * Child programs of test-compat/group-churn/run.mjs (issue #15: a group of Java 4.4 consumers that
 * members leave, die and join while it consumes 30,000 records, in three protocols).
 *
 * <pre>
 * group-churn-produce --count N --partitions P --prefix X   topic T with P partitions (created if missing),
 *                                                            N records "X-i" to partition i % P
 * group-churn-worker --group G --protocol eager|cooperative|consumer --name W --stop-file F [--poll-delay-ms D]
 *     subscribes to T; per poll (max.poll.records 100): prints "D W partition offset value" per record,
 *     flushes, then commitSync() of what it processed (retried after the next poll when a rebalance is
 *     in progress; committed on revocation), then sleeps D ms (default 100). Leaves (close())
 *     when F exists and prints "CLOSED W". "A W p,p,..." after every assignment change.
 * group-churn-lag --group G   prints "LAG total committed end" (sums over T's partitions; a partition
 *     without a committed offset counts as committed 0)
 * </pre>
 */
final class GroupChurn {
  static void run(String s, Map<String, String> o) throws Exception {
    switch (s) {
      case "group-churn-produce" -> produce(Integer.parseInt(o.get("--count")), Integer.parseInt(o.get("--partitions")), o.get("--prefix"));
      case "group-churn-worker" -> worker(o.get("--group"), o.get("--protocol"), o.get("--name"), Path.of(o.get("--stop-file")),
          Long.parseLong(o.getOrDefault("--poll-delay-ms", "100")));
      case "group-churn-lag" -> lag(o.get("--group"));
      default -> throw new Scenarios.Unsupported("java: " + s + " is not a group-churn program");
    }
  }

  static void produce(int n, int partitions, String prefix) throws Exception {
    try (Admin a = Scenarios.admin()) {
      if (!a.listTopics().names().get().contains(Scenarios.T)) Scenarios.createTopic(a, Scenarios.T, partitions, Map.of());
    }
    KafkaProducer<byte[], byte[]> p = Scenarios.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.ACKS_CONFIG, "all"));
    List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) fs.add(p.send(new ProducerRecord<>(Scenarios.T, i % partitions, null, Scenarios.b(prefix + "-" + i))));
    p.flush();
    for (var f : fs) f.get();
  }

  static void worker(String group, String protocol, String name, Path stop, long delayMs) throws Exception {
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false);
    Map<String, Object> conf = new HashMap<>(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100, ConsumerConfig.CLIENT_ID_CONFIG, "churn-" + name));
    switch (protocol) {
      case "eager" -> conf.putAll(Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic", ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10000,
          ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1000, ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName()));
      case "cooperative" -> conf.putAll(Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic", ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10000,
          ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1000, ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName()));
      case "consumer" -> conf.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
      default -> throw new IllegalArgumentException("protocol " + protocol);
    }
    KafkaConsumer<byte[], byte[]> c = Scenarios.consumer(conf);
    // processed but not yet committed: a commit during a (cooperative) rebalance fails with
    // RebalanceInProgressException and is retried after the next poll; partitions being revoked are
    // committed in onPartitionsRevoked, as the client's documentation prescribes; lost ones are dropped
    Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
    c.subscribe(List.of(Scenarios.T), new ConsumerRebalanceListener() {
      public void onPartitionsRevoked(Collection<TopicPartition> ps) {
        Map<TopicPartition, OffsetAndMetadata> now = new HashMap<>();
        for (TopicPartition tp : ps) if (pending.containsKey(tp)) now.put(tp, pending.remove(tp));
        if (!now.isEmpty()) c.commitSync(now);
      }
      public void onPartitionsAssigned(Collection<TopicPartition> ps) { }
      public void onPartitionsLost(Collection<TopicPartition> ps) { ps.forEach(pending::remove); }
    });
    String owned = "";
    while (!Files.exists(stop)) {
      ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(100));
      String now = c.assignment().stream().map(TopicPartition::partition).sorted().map(String::valueOf).reduce((x, y) -> x + "," + y).orElse("");
      if (!now.equals(owned)) { owned = now; out.println("A " + name + " " + now); }
      for (ConsumerRecord<byte[], byte[]> r : rs) {
        out.println("D " + name + " " + r.partition() + " " + r.offset() + " " + Scenarios.str(r.value()));
        pending.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
      }
      out.flush();
      if (!pending.isEmpty()) {
        try {
          c.commitSync(pending);
          pending.clear();
        } catch (RebalanceInProgressException e) {
          out.println("R " + name + " commit during a rebalance: retried after the next poll");
        }
      }
      if (!rs.isEmpty() && delayMs > 0) Thread.sleep(delayMs);
    }
    if (!pending.isEmpty()) c.commitSync(pending);
    c.close();
    out.println("CLOSED " + name);
    out.flush();
  }

  static void lag(String group) throws Exception {
    try (Admin a = Scenarios.admin()) {
      Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      int parts = a.describeTopics(List.of(Scenarios.T)).allTopicNames().get().get(Scenarios.T).partitions().size();
      Map<TopicPartition, OffsetSpec> q = new HashMap<>();
      for (int i = 0; i < parts; i++) q.put(new TopicPartition(Scenarios.T, i), OffsetSpec.latest());
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = a.listOffsets(q).all().get();
      long c = 0, e = 0;
      Map<Integer, String> per = new TreeMap<>();
      for (TopicPartition tp : q.keySet()) {
        OffsetAndMetadata om = committed.get(tp);
        long co = om == null ? 0 : om.offset();
        c += co;
        e += end.get(tp).offset();
        per.put(tp.partition(), co + "/" + end.get(tp).offset());
      }
      System.out.println("LAG " + (e - c) + " " + c + " " + e + " " + per);
    }
  }
}
