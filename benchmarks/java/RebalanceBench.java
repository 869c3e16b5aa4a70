// Group rebalance timing: N consumers (one thread each, one KafkaConsumer each) subscribe to a topic in
// one fresh group with the given group.protocol (classic: the default range+cooperative-sticky
// assignors of the Java client; consumer: KIP-848, server-side assignment). Measures, in ms:
//   formMs   from the first subscribe until every partition is owned by exactly one member and every
//            member owns at least one;
//   leaveMs  after one member closes (a clean leave), until the others own every partition again.
// Prints one line of JSON. Poll interval 50 ms; ownership is read from each consumer's assignment().
//   java -cp <kafka libs>/*:<classes> RebalanceBench BOOTSTRAP TOPIC PARTITIONS MEMBERS PROTOCOL
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class RebalanceBench {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], protocol = args[4];
    int partitions = Integer.parseInt(args[2]), members = Integer.parseInt(args[3]);
    String group = "rebalance-bench-" + protocol + "-" + System.nanoTime();
    ConcurrentHashMap<Integer, Set<TopicPartition>> owned = new ConcurrentHashMap<>();
    List<AtomicBoolean> stops = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < members; i++) {
      final int id = i;
      AtomicBoolean stop = new AtomicBoolean(false);
      stops.add(stop);
      Thread t = new Thread(() -> {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", group);
        p.put("group.protocol", protocol);
        p.put("client.id", "rebalance-bench-" + id);
        p.put("enable.auto.commit", "false");
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
          c.subscribe(List.of(topic));
          while (!stop.get()) {
            c.poll(Duration.ofMillis(50));
            owned.put(id, new HashSet<>(c.assignment()));
          }
          owned.remove(id);
        }
      });
      t.start();
      threads.add(t);
    }
    long formMs = waitCovered(owned, partitions, members, t0);
    long t1 = System.nanoTime();
    stops.get(0).set(true);
    threads.get(0).join();
    long leaveMs = waitCovered(owned, partitions, members - 1, t1);
    for (AtomicBoolean s : stops) s.set(true);
    for (Thread t : threads) t.join();
    System.out.println("{\"formMs\":" + formMs + ",\"leaveMs\":" + leaveMs + "}");
  }

  /** Waits until `members` consumers own every partition exactly once, each at least one. */
  static long waitCovered(ConcurrentHashMap<Integer, Set<TopicPartition>> owned, int partitions, int members, long since) throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline) {
      int total = 0;
      Set<TopicPartition> all = new HashSet<>();
      boolean everyone = owned.size() == members;
      for (Set<TopicPartition> s : owned.values()) {
        total += s.size();
        all.addAll(s);
        if (s.isEmpty()) everyone = false;
      }
      if (everyone && total == partitions && all.size() == partitions) return (System.nanoTime() - since) / 1_000_000;
      Thread.sleep(10);
    }
    throw new IllegalStateException("the group did not cover every partition within 120 s");
  }
}
