// A consumer that needs no consumer group: assign() every partition of a topic, seek to the beginning,
// poll until `records` records have arrived, print one line of JSON. Kafka's ConsumerPerformance
// calls subscribe() and so needs FindCoordinator/JoinGroup, which odradek does not serve yet; this
// measures the same thing (records and bytes per second from the first poll to the last record) on
// both brokers with the Java client's default fetch settings.
//   java -cp <kafka libs>/*:<classes> AssignConsumer BOOTSTRAP TOPIC RECORDS [key=value ...]
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class AssignConsumer {
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: AssignConsumer BOOTSTRAP TOPIC RECORDS [key=value ...]");
      System.exit(2);
    }
    String topic = args[1];
    long want = Long.parseLong(args[2]);
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("enable.auto.commit", "false");
    props.put("client.id", "odradek-bench-assign-consumer");
    for (int i = 3; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      long t0 = System.nanoTime();
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      List<TopicPartition> tps = new ArrayList<>();
      for (PartitionInfo p : infos) tps.add(new TopicPartition(topic, p.partition()));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      long records = 0, bytes = 0, first = 0, polls = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
      while (records < want) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
        polls++;
        if (!batch.isEmpty() && first == 0) first = System.nanoTime();
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          records++;
          bytes += r.serializedValueSize() + Math.max(0, r.serializedKeySize());
        }
        if (System.nanoTime() > deadline) {
          System.err.println("AssignConsumer: timed out after " + records + " of " + want + " records");
          System.exit(1);
        }
      }
      long end = System.nanoTime();
      double secs = (end - t0) / 1e9;
      System.out.printf(
          "{\"records\":%d,\"bytes\":%d,\"seconds\":%.6f,\"secondsFromFirstRecord\":%.6f,\"partitions\":%d,\"polls\":%d}%n",
          records, bytes, secs, (end - first) / 1e9, tps.size(), polls);
    }
  }
}
