// Golden-frame capture program for the Apache Kafka Java client (kafka-clients, see pom.xml).
// Run as a single-file source program by test-compat/capture/run.sh:
//   java -cp 'libs/*' Capture.java --bootstrap HOST:PORT --client-id ID --topic T --group G
//        --records records.json (--phase produce --codec C | --phase consume --expect N
//        [--group-protocol classic|consumer]) | --phase admin --admin-topic T2
//        | --phase txn --transactional-id X --txn-group G2 --txn-offset N)
// Prints one line `RESULT {json}` on success. records.json is read with a tiny purpose-built
// parser so the program needs nothing beyond kafka-clients.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class Capture {
  record Rec(String key, String value, List<String[]> headers) {}

  static Map<String, String> opts = new HashMap<>();

  public static void main(String[] args) throws Exception {
    for (int i = 0; i + 1 < args.length; i += 2) opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    String json = Files.readString(Path.of(opts.get("records")));
    int partition = Integer.parseInt(find(json, "\"partition\"\\s*:\\s*(\\d+)"));
    List<Rec> recs = parseRecords(json);
    String result = switch (opts.get("phase")) {
      case "produce" -> produce(recs, partition, false);
      case "txn" -> produce(recs, partition, true);
      case "admin" -> admin();
      default -> consume(partition);
    };
    System.out.println("RESULT " + result);
    System.exit(0);
  }

  static String find(String s, String re) {
    Matcher m = Pattern.compile(re).matcher(s);
    if (!m.find()) throw new IllegalArgumentException("records.json: no " + re);
    return m.group(1);
  }

  // Matches the fixed shape of records.json: {"key": "...", "value": "..."|null, "headers": [...]}.
  static List<Rec> parseRecords(String json) {
    List<Rec> out = new ArrayList<>();
    Pattern rec = Pattern.compile(
        "\\{\\s*\"key\"\\s*:\\s*\"([^\"]*)\"\\s*,\\s*\"value\"\\s*:\\s*(null|\"[^\"]*\")\\s*,\\s*\"headers\"\\s*:\\s*\\[(.*?)\\]\\s*\\}");
    Pattern hdr = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]*)\"\\s*,\\s*\"value\"\\s*:\\s*\"([^\"]*)\"");
    Matcher m = rec.matcher(json);
    while (m.find()) {
      List<String[]> headers = new ArrayList<>();
      Matcher h = hdr.matcher(m.group(3));
      while (h.find()) headers.add(new String[] {h.group(1), h.group(2)});
      String v = m.group(2).equals("null") ? null : m.group(2).substring(1, m.group(2).length() - 1);
      out.add(new Rec(m.group(1), v, headers));
    }
    return out;
  }

  static String q(String s) { return s == null ? "null" : "\"" + s.replace("\"", "\\\"") + "\""; }

  static String produce(List<Rec> recs, int partition, boolean txn) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", opts.get("bootstrap"));
    p.put("client.id", opts.get("client-id"));
    p.put("compression.type", opts.getOrDefault("codec", "none"));
    if (txn) p.put("transactional.id", opts.get("transactional-id"));
    p.put("acks", "all");
    p.put("linger.ms", "1000"); // one batch, sent on flush()
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    List<String> offsets = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      if (txn) {
        producer.initTransactions();
        producer.beginTransaction();
      }
      List<java.util.concurrent.Future<RecordMetadata>> futures = new ArrayList<>();
      for (Rec r : recs) {
        ProducerRecord<byte[], byte[]> pr = new ProducerRecord<>(opts.get("topic"), partition,
            r.key().getBytes(StandardCharsets.UTF_8),
            r.value() == null ? null : r.value().getBytes(StandardCharsets.UTF_8));
        for (String[] h : r.headers()) pr.headers().add(h[0], h[1].getBytes(StandardCharsets.UTF_8));
        futures.add(producer.send(pr));
      }
      producer.flush();
      for (var f : futures) offsets.add(String.valueOf(f.get().offset()));
      if (txn) {
        producer.sendOffsetsToTransaction(
            Map.of(new TopicPartition(opts.get("topic"), partition), new OffsetAndMetadata(Long.parseLong(opts.get("txn-offset")))),
            new ConsumerGroupMetadata(opts.get("txn-group")));
        producer.commitTransaction();
      }
    }
    return "{\"produced\":" + recs.size() + ",\"codec\":" + q(opts.get("codec")) + ",\"offsets\":[" + String.join(",", offsets) + "]}";
  }

  static String admin() throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", opts.get("bootstrap"));
    p.put("client.id", opts.get("client-id"));
    String t = opts.get("admin-topic");
    try (Admin a = Admin.create(p)) {
      a.createTopics(List.of(new NewTopic(t, 3, (short) 1))).all().get();
      Config cfg = a.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, t))).all().get()
          .values().iterator().next();
      int groups = a.listGroups().all().get().size();
      var described = a.describeConsumerGroups(List.of(opts.get("group"))).all().get().get(opts.get("group"));
      int brokers = a.describeCluster().nodes().get().size();
      a.deleteTopics(List.of(t)).all().get();
      return "{\"created\":" + q(t) + ",\"configs\":" + cfg.entries().size() + ",\"groups\":" + groups
          + ",\"groupState\":" + q(String.valueOf(described.groupState())) + ",\"brokers\":" + brokers + "}";
    }
  }

  static String consume(int partition) {
    int expect = Integer.parseInt(opts.get("expect"));
    String topic = opts.get("topic");
    Properties p = new Properties();
    p.put("bootstrap.servers", opts.get("bootstrap"));
    p.put("client.id", opts.get("client-id"));
    p.put("group.id", opts.get("group"));
    String protocol = opts.getOrDefault("group-protocol", "classic");
    p.put("group.protocol", protocol);
    if (protocol.equals("classic")) {
      p.put("session.timeout.ms", "10000");
      p.put("heartbeat.interval.ms", "500");
    }
    p.put("auto.offset.reset", "earliest");
    p.put("enable.auto.commit", "false");
    p.put("fetch.max.wait.ms", "500");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    StringBuilder recs = new StringBuilder();
    int got = 0;
    long last = -1;
    String committed;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      c.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 60_000;
      while (got < expect) {
        if (System.currentTimeMillis() > deadline) throw new RuntimeException("timeout: " + got + "/" + expect);
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (got++ > 0) recs.append(',');
          StringBuilder hs = new StringBuilder();
          for (Header h : r.headers()) {
            if (hs.length() > 0) hs.append(',');
            hs.append("{\"key\":").append(q(h.key())).append(",\"value\":")
              .append(q(h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8))).append('}');
          }
          recs.append("{\"partition\":").append(r.partition()).append(",\"offset\":").append(r.offset())
              .append(",\"key\":").append(q(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8)))
              .append(",\"value\":").append(q(r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8)))
              .append(",\"headers\":[").append(hs).append("]}");
          last = r.offset();
        }
      }
      TopicPartition tp = new TopicPartition(topic, partition);
      c.commitSync(Map.of(tp, new OffsetAndMetadata(last + 1)));
      long stay = System.currentTimeMillis() + 2500; // let a Heartbeat go out
      while (System.currentTimeMillis() < stay) c.poll(Duration.ofMillis(200));
      OffsetAndMetadata om = c.committed(Set.of(tp)).get(tp);
      committed = om == null ? "null" : String.valueOf(om.offset());
    }
    return "{\"consumed\":" + got + ",\"groupProtocol\":" + q(protocol) + ",\"committed\":" + committed + ",\"records\":[" + recs + "]}";
  }
}
