// Java client check for odradek (run by ../java-client.test.ts with `java -cp <kafka-clients> JavaClient.java`).
// Usage: JavaClient <bootstrap> <topic> <count> <compression>
// 1. Admin: create the topic (2 partitions), describe the cluster.
// 2. Producer with default settings (idempotent, acks=all) sends <count> keyed records and flushes.
// 3. Consumer without a group (assign + seekToBeginning) reads every record back.
// Prints "produced N", "consumed N", then one "p:offset:key:value" line per record, and exits 0.
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class JavaClient {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1];
    int count = Integer.parseInt(args[2]);
    String compression = args[3];
    Properties common = new Properties();
    common.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(common)) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
      System.out.println("cluster " + admin.describeCluster().nodes().get().size());
    }
    Properties pp = new Properties();
    pp.putAll(common);
    pp.put("key.serializer", StringSerializer.class.getName());
    pp.put("value.serializer", StringSerializer.class.getName());
    pp.put("compression.type", compression);
    pp.put("linger.ms", "5");
    int acked = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
      List<java.util.concurrent.Future<RecordMetadata>> fs = new ArrayList<>();
      for (int i = 0; i < count; i++) fs.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
      producer.flush();
      for (var f : fs) { f.get(); acked++; }
    }
    System.out.println("produced " + acked);
    Properties cp = new Properties();
    cp.putAll(common);
    cp.put("key.deserializer", StringDeserializer.class.getName());
    cp.put("value.deserializer", StringDeserializer.class.getName());
    cp.put("enable.auto.commit", "false");
    List<String> lines = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
      List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      long deadline = System.currentTimeMillis() + 30000;
      while (lines.size() < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          lines.add(r.partition() + ":" + r.offset() + ":" + r.key() + ":" + r.value());
        }
      }
      // one more round trip: with a fetch session this is an incremental fetch (KIP-227)
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(700))) lines.add("extra " + r.offset());
      Map<TopicPartition, Long> end = consumer.endOffsets(tps);
      System.out.println("end " + end.get(tps.get(0)) + " " + end.get(tps.get(1)));
    }
    System.out.println("consumed " + lines.size());
    for (String l : lines) System.out.println(l);
  }
}
