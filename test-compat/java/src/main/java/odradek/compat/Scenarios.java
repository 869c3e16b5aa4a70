package odradek.compat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Java client (kafka-clients 4.4.0) scenario program for test-compat/run.mjs.
 *
 * <pre>java -cp classes:libs/* odradek.compat.Scenarios --bootstrap HOST:PORT --scenario NAME --topic T</pre>
 *
 * Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported. Partition
 * reads use assign() without group.id; group scenarios subscribe. Kafka 4.0 removed the legacy
 * Admin.alterConfigs, so admin-configs uses IncrementalAlterConfigs only.
 */
public final class Scenarios {
  static String B, T;
  static final List<AutoCloseable> CLOSE = new ArrayList<>();
  static final Map<String, String> OPTS = new HashMap<>();

  static final class Unsupported extends RuntimeException {
    Unsupported(String m) { super(m); }
  }

  public static void main(String[] args) {
    String scenario = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      OPTS.put(args[i], args[i + 1]);
      switch (args[i]) {
        case "--bootstrap" -> B = args[i + 1];
        case "--scenario" -> scenario = args[i + 1];
        case "--topic" -> T = args[i + 1];
        default -> { }
      }
    }
    int code = 0;
    try {
      run(scenario);
    } catch (Unsupported e) {
      System.err.println(scenario + ": " + e.getMessage());
      code = 3;
    } catch (Throwable e) {
      Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      c.printStackTrace();
      System.err.println(scenario + ": " + c.getClass().getSimpleName() + ": " + String.valueOf(c.getMessage()).split("\n")[0]);
      code = 1;
    }
    Collections.reverse(CLOSE);
    for (AutoCloseable c : CLOSE) { try { c.close(); } catch (Exception ignored) { } }
    System.exit(code);
  }

  static void run(String s) throws Exception {
    switch (s) {
      case "bootstrap" -> bootstrap();
      case "metadata" -> metadata();
      case "produce-acks0" -> produceAcks("0");
      case "produce-acks1" -> produceAcks("1");
      case "produce-acksall" -> produceAcks("all");
      case "codecs" -> codecs();
      case "records" -> records();
      case "consume-beginning" -> consumeBeginning();
      case "consume-end" -> consumeEnd();
      case "consume-timestamp" -> consumeTimestamp();
      case "admin-topics" -> adminTopics();
      case "admin-configs" -> adminConfigs();
      case "admin-partitions" -> adminPartitions();
      case "admin-delete-records" -> adminDeleteRecords();
      case "idempotent" -> idempotent();
      case "group-rebalance" -> groupRebalance();
      case "cooperative-sticky" -> cooperativeSticky();
      case "kip848" -> kip848();
      case "transactions" -> transactions();
      case "txn-timeout" -> txnTimeout();
      case "admin-groups" -> adminGroups();
      default -> {
        if (s.startsWith("share-")) ShareScenarios.run(s, B, T, OPTS); // ShareScenarios.java (KIP-932)
        else if (s.startsWith("group-churn-")) GroupChurn.run(s, OPTS); // GroupChurn.java (test-compat/group-churn)
        else throw new Unsupported("java: scenario " + s + " is not implemented");
      }
    }
  }

  // ---- helpers ----
  static void check(boolean c, String m) { if (!c) throw new AssertionError(m); }
  static void eq(Object actual, Object expected, String what) {
    if (!Objects.equals(actual, expected)) throw new AssertionError(what + ": expected " + expected + ", got " + actual);
  }
  static void until(String what, BooleanSupplier f, long ms) throws InterruptedException {
    long end = System.currentTimeMillis() + ms;
    Exception last = null;
    while (true) {
      try { if (f.getAsBoolean()) return; } catch (Exception e) { last = e; }
      if (System.currentTimeMillis() > end) throw new AssertionError("timed out waiting for " + what + (last != null ? " (" + last + ")" : ""));
      Thread.sleep(200);
    }
  }
  interface Get { Object get() throws Exception; }
  /** Kafka applies config changes through its metadata log, so a describe may lag an alter. */
  static void eventually(Get f, Object expected, String what) throws Exception {
    long end = System.currentTimeMillis() + 10000;
    Object got = f.get();
    while (!Objects.equals(got, expected) && System.currentTimeMillis() < end) { Thread.sleep(200); got = f.get(); }
    eq(got, expected, what);
  }
  static byte[] b(String s) { return s == null ? null : s.getBytes(StandardCharsets.UTF_8); }
  static String str(byte[] x) { return x == null ? null : new String(x, StandardCharsets.UTF_8); }
  static List<String> vals(int n, String p) { List<String> l = new ArrayList<>(); for (int i = 0; i < n; i++) l.add(p + "-" + i); return l; }
  static byte[] big() { byte[] x = new byte[1 << 20]; for (int i = 0; i < x.length; i++) x[i] = (byte) (i % 251); return x; }
  static <T extends AutoCloseable> T closing(T c) { CLOSE.add(c); return c; }

  static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, B);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "compat-java");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
    return closing(Admin.create(p));
  }
  static KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, B);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, "compat-java");
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
    c.putAll(extra);
    return closing(new KafkaProducer<>(c));
  }
  static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> extra) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, B);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "compat-java");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
    c.putAll(extra);
    return closing(new KafkaConsumer<>(c));
  }
  static void createTopic(Admin a, String topic, int partitions, Map<String, String> configs) throws Exception {
    a.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs))).all().get();
    until(topic + " has leaders", () -> {
      try {
        return a.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream().allMatch(p -> p.leader() != null);
      } catch (Exception e) { throw new RuntimeException(e); }
    }, 15000);
  }
  static ProducerRecord<byte[], byte[]> rec(String topic, int partition, String key, String value) {
    return new ProducerRecord<>(topic, partition, b(key), b(value));
  }
  static List<Long> send(KafkaProducer<byte[], byte[]> p, List<ProducerRecord<byte[], byte[]>> rs) throws Exception {
    List<java.util.concurrent.Future<RecordMetadata>> fs = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> r : rs) fs.add(p.send(r));
    p.flush();
    List<Long> out = new ArrayList<>();
    for (var f : fs) out.add(f.get().offset());
    return out;
  }
  static List<Long> produceN(KafkaProducer<byte[], byte[]> p, String topic, int n, String prefix) throws Exception {
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 0; i < n; i++) rs.add(rec(topic, 0, "k-" + i, prefix + "-" + i));
    return send(p, rs);
  }
  /** Reads `count` records of one partition starting at `offset` (null = seekToBeginning). */
  static List<ConsumerRecord<byte[], byte[]>> read(String topic, int partition, Long offset, int count, Map<String, Object> extra) {
    KafkaConsumer<byte[], byte[]> c = consumer(extra);
    TopicPartition tp = new TopicPartition(topic, partition);
    c.assign(List.of(tp));
    if (offset == null) c.seekToBeginning(List.of(tp)); else c.seek(tp, offset);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    long end = System.currentTimeMillis() + 15000;
    while (out.size() < count && System.currentTimeMillis() < end) {
      for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) out.add(r);
    }
    c.close();
    return out;
  }
  static List<String> triples(List<ConsumerRecord<byte[], byte[]>> rs) {
    List<String> l = new ArrayList<>();
    for (var r : rs) l.add(r.offset() + ":" + str(r.key()) + ":" + str(r.value()));
    return l;
  }
  static List<String> expected(int from, int to, String kp, String vp) {
    List<String> l = new ArrayList<>();
    for (int i = from; i < to; i++) l.add(i + ":" + kp + i + ":" + vp + i);
    return l;
  }

  // ---- scenarios ----
  static void bootstrap() throws Exception {
    Admin a = admin();
    DescribeClusterResult d = a.describeCluster();
    Collection<Node> nodes = d.nodes().get();
    check(!nodes.isEmpty(), "no brokers");
    String[] hp = B.split(":");
    check(nodes.stream().anyMatch(n -> n.host().equals(hp[0]) && n.port() == Integer.parseInt(hp[1])), B + " not among " + nodes);
    check(d.clusterId().get() != null, "no cluster id");
    check(d.controller().get() != null, "no controller");
  }

  static void metadata() throws Exception {
    Admin a = admin();
    createTopic(a, T, 3, Map.of());
    TopicDescription td = a.describeTopics(List.of(T)).allTopicNames().get().get(T);
    List<Integer> ids = td.partitions().stream().map(TopicPartitionInfo::partition).toList();
    eq(ids, List.of(0, 1, 2), "partition ids");
    Set<Integer> brokers = new HashSet<>();
    for (Node n : a.describeCluster().nodes().get()) brokers.add(n.id());
    for (TopicPartitionInfo p : td.partitions()) check(brokers.contains(p.leader().id()), "leader " + p.leader() + " is not a broker");
    check(td.topicId() != null && !td.topicId().equals(Uuid.ZERO_UUID), "no topic id");
    check(a.listTopics().names().get().contains(T), "listTopics misses the topic");
    // a producer's metadata request sees the partitions too
    eq(producer(Map.of()).partitionsFor(T).size(), 3, "producer partitionsFor");
  }

  static void produceAcks(String acks) throws Exception {
    createTopic(admin(), T, 1, Map.of());
    KafkaProducer<byte[], byte[]> p = producer(Map.of(ProducerConfig.ACKS_CONFIG, acks, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, acks.equals("all")));
    List<Long> offs = produceN(p, T, 10, "v");
    if (!acks.equals("0")) eq(offs, List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), "returned offsets");
    eq(triples(read(T, 0, null, 10, Map.of())), expected(0, 10, "k-", "v-"), "records");
  }

  static void codecs() throws Exception {
    createTopic(admin(), T, 1, Map.of());
    List<String> exp = new ArrayList<>();
    String[] codecs = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int c = 0; c < codecs.length; c++) {
      KafkaProducer<byte[], byte[]> p = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codecs[c], ProducerConfig.LINGER_MS_CONFIG, 50));
      List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String v = codecs[c] + "-" + i + "-" + "x".repeat(100);
        rs.add(rec(T, 0, codecs[c] + "-k" + i, v));
        exp.add((c * 5 + i) + ":" + codecs[c] + "-k" + i + ":" + v);
      }
      eq(send(p, rs).get(0), (long) c * 5, codecs[c] + " base offset");
      p.close();
    }
    eq(triples(read(T, 0, null, 25, Map.of())), exp, "records read back");
  }

  static void records() throws Exception {
    createTopic(admin(), T, 1, Map.of("max.message.bytes", String.valueOf(2 << 20)));
    KafkaProducer<byte[], byte[]> p = producer(Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 << 20));
    byte[] payload = big();
    RecordHeaders h0 = new RecordHeaders();
    h0.add("h1", b("a")); h0.add("h2", b("b"));
    RecordHeaders h5 = new RecordHeaders();
    h5.add("dup", b("1")); h5.add("dup", b("2")); h5.add("nullh", null);
    List<ProducerRecord<byte[], byte[]>> rs = List.of(
        new ProducerRecord<>(T, 0, b("k0"), b("v0"), h0),
        new ProducerRecord<>(T, 0, null, b("v1")),
        new ProducerRecord<>(T, 0, b("k2"), null),
        new ProducerRecord<>(T, 0, b("k3"), new byte[0]),
        new ProducerRecord<>(T, 0, b("k4"), payload),
        new ProducerRecord<>(T, 0, b("k5"), b("v5"), h5));
    for (int i = 0; i < rs.size(); i++) eq(send(p, List.of(rs.get(i))), List.of((long) i), "offset of record " + i);
    var got = read(T, 0, null, 6, Map.of());
    eq(got.stream().map(ConsumerRecord::offset).toList(), List.of(0L, 1L, 2L, 3L, 4L, 5L), "offsets");
    eq(got.stream().map(r -> String.valueOf(str(r.key()))).toList(), List.of("k0", "null", "k2", "k3", "k4", "k5"), "keys");
    eq(Arrays.asList(str(got.get(0).value()), str(got.get(1).value()), str(got.get(2).value()), str(got.get(3).value()), str(got.get(5).value())),
        Arrays.asList("v0", "v1", null, "", "v5"), "values");
    check(Arrays.equals(got.get(4).value(), payload), "1 MiB value differs");
    eq(hdrs(got.get(0)), "h1=a,h2=b", "headers");
    eq(hdrs(got.get(5)), "dup=1,dup=2,nullh=null", "repeated and null headers");
    eq(hdrs(got.get(1)), "", "no headers");
  }
  static String hdrs(ConsumerRecord<byte[], byte[]> r) {
    List<String> l = new ArrayList<>();
    for (Header h : r.headers()) l.add(h.key() + "=" + str(h.value()));
    return String.join(",", l);
  }

  static void consumeBeginning() throws Exception {
    Admin a = admin();
    createTopic(a, T, 1, Map.of());
    produceN(producer(Map.of()), T, 10, "v");
    TopicPartition tp = new TopicPartition(T, 0);
    KafkaConsumer<byte[], byte[]> c = consumer(Map.of());
    eq(c.beginningOffsets(List.of(tp)).get(tp), 0L, "beginningOffsets");
    eq(c.endOffsets(List.of(tp)).get(tp), 10L, "endOffsets");
    eq(a.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset(), 0L, "Admin listOffsets earliest");
    eq(triples(read(T, 0, null, 10, Map.of())), expected(0, 10, "k-", "v-"), "records");
  }

  static void consumeEnd() throws Exception {
    createTopic(admin(), T, 1, Map.of());
    KafkaProducer<byte[], byte[]> p = producer(Map.of());
    produceN(p, T, 5, "v");
    KafkaConsumer<byte[], byte[]> c = consumer(Map.of());
    TopicPartition tp = new TopicPartition(T, 0);
    c.assign(List.of(tp));
    c.seekToEnd(List.of(tp));
    eq(c.position(tp), 5L, "position after seekToEnd");
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 5; i < 10; i++) rs.add(rec(T, 0, "k-" + i, "v-" + i));
    send(p, rs);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    long end = System.currentTimeMillis() + 15000;
    while (out.size() < 5 && System.currentTimeMillis() < end) for (var r : c.poll(Duration.ofMillis(300))) out.add(r);
    eq(triples(out), expected(5, 10, "k-", "v-"), "records after the end");
  }

  static void consumeTimestamp() throws Exception {
    createTopic(admin(), T, 1, Map.of());
    KafkaProducer<byte[], byte[]> p = producer(Map.of());
    long t0 = System.currentTimeMillis() / 1000 * 1000 - 60000;
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 0; i < 10; i++) rs.add(new ProducerRecord<>(T, 0, t0 + i * 1000L, b("k-" + i), b("v-" + i)));
    send(p, rs);
    KafkaConsumer<byte[], byte[]> c = consumer(Map.of());
    TopicPartition tp = new TopicPartition(T, 0);
    OffsetAndTimestamp at = c.offsetsForTimes(Map.of(tp, t0 + 4500)).get(tp);
    check(at != null, "offsetsForTimes(t0+4500) returned null");
    eq(at.offset(), 5L, "offset for t0+4500");
    eq(at.timestamp(), t0 + 5000, "timestamp for t0+4500");
    eq(c.offsetsForTimes(Map.of(tp, System.currentTimeMillis() + 3600000)).get(tp), null, "offset for a future time");
    var got = read(T, 0, at.offset(), 5, Map.of());
    eq(triples(got), expected(5, 10, "k-", "v-"), "records from t0+4500");
    List<Long> ts = new ArrayList<>();
    for (int i = 5; i < 10; i++) ts.add(t0 + i * 1000L);
    eq(got.stream().map(ConsumerRecord::timestamp).toList(), ts, "timestamps");
    eq(got.get(0).timestampType(), org.apache.kafka.common.record.TimestampType.CREATE_TIME, "timestamp type");
  }

  static void adminTopics() throws Exception {
    Admin a = admin();
    String T2 = T + "-b";
    a.createTopics(List.of(new NewTopic(T, 2, (short) 1), new NewTopic(T2, 1, (short) 1))).all().get();
    try {
      a.createTopics(List.of(new NewTopic(T2, 1, (short) 1))).all().get();
      throw new AssertionError("creating an existing topic succeeded");
    } catch (ExecutionException e) {
      check(e.getCause() instanceof TopicExistsException, "expected TopicExistsException, got " + e.getCause());
    }
    until("both listed", () -> { try { return a.listTopics().names().get().containsAll(List.of(T, T2)); } catch (Exception e) { throw new RuntimeException(e); } }, 15000);
    var d = a.describeTopics(List.of(T, T2)).allTopicNames().get();
    eq(d.get(T).partitions().size() + "/" + d.get(T2).partitions().size(), "2/1", "describeTopics partitions");
    a.deleteTopics(List.of(T)).all().get();
    until("topic gone", () -> { try { var n = a.listTopics().names().get(); return !n.contains(T) && n.contains(T2); } catch (Exception e) { throw new RuntimeException(e); } }, 15000);
  }

  static void adminConfigs() throws Exception {
    Admin a = admin();
    createTopic(a, T, 1, Map.of());
    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, T);
    eventually(() -> cfg(a, r), "604800000/delete", "default retention.ms/cleanup.policy");
    ConfigEntry ret = a.describeConfigs(List.of(r)).all().get().get(r).get("retention.ms");
    check(ret.isDefault() && ret.source() == ConfigEntry.ConfigSource.DEFAULT_CONFIG, "retention.ms source " + ret.source());
    a.incrementalAlterConfigs(Map.of(r, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET)))).all().get();
    eventually(() -> cfg(a, r), "3600000/delete", "after SET retention.ms");
    ConfigEntry ret2 = a.describeConfigs(List.of(r)).all().get().get(r).get("retention.ms");
    eq(ret2.source(), ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, "source of an override");
    a.incrementalAlterConfigs(Map.of(r, List.of(
        new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET),
        new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all().get();
    eventually(() -> cfg(a, r), "604800000/compact", "after SET cleanup.policy + DELETE retention.ms");
  }
  static String cfg(Admin a, ConfigResource r) throws Exception {
    Config c = a.describeConfigs(List.of(r)).all().get().get(r);
    return c.get("retention.ms").value() + "/" + c.get("cleanup.policy").value();
  }

  static void adminPartitions() throws Exception {
    Admin a = admin();
    createTopic(a, T, 1, Map.of());
    a.createPartitions(Map.of(T, NewPartitions.increaseTo(3))).all().get();
    until("3 partitions", () -> { try { return a.describeTopics(List.of(T)).allTopicNames().get().get(T).partitions().size() == 3; } catch (Exception e) { throw new RuntimeException(e); } }, 15000);
    eq(send(producer(Map.of()), List.of(rec(T, 2, "k", "on-2"))), List.of(0L), "offset on partition 2");
    eq(triples(read(T, 2, null, 1, Map.of())), List.of("0:k:on-2"), "record on partition 2");
  }

  static void adminDeleteRecords() throws Exception {
    Admin a = admin();
    createTopic(a, T, 1, Map.of());
    produceN(producer(Map.of()), T, 10, "v");
    TopicPartition tp = new TopicPartition(T, 0);
    var low = a.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(tp).get();
    eq(low.lowWatermark(), 4L, "low watermark");
    eq(a.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset(), 4L, "earliest");
    eq(a.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset(), 10L, "latest");
    eq(triples(read(T, 0, null, 6, Map.of())), expected(4, 10, "k-", "v-"), "records after the low watermark");
  }

  static void idempotent() throws Exception {
    createTopic(admin(), T, 1, Map.of());
    KafkaProducer<byte[], byte[]> p = producer(Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5, ProducerConfig.BATCH_SIZE_CONFIG, 200));
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 0; i < 20; i++) rs.add(rec(T, 0, "k-" + i, "v-" + i));
    List<Long> offs = send(p, rs);
    List<Long> want = new ArrayList<>();
    for (long i = 0; i < 20; i++) want.add(i);
    eq(offs, want, "returned offsets");
    eq(triples(read(T, 0, null, 20, Map.of())), expected(0, 20, "k-", "v-"), "records");
  }

  // ---- groups ----
  /** A group member polled from the main thread. */
  static final class Member {
    final String name;
    final KafkaConsumer<byte[], byte[]> c;
    final Map<String, Integer> seen;
    final List<Set<Integer>> revoked = new ArrayList<>();
    boolean closed;
    Member(String name, String group, Map<String, Integer> seen, Map<String, Object> extra) {
      this.name = name;
      this.seen = seen;
      Map<String, Object> conf = new HashMap<>(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
      conf.putAll(extra);
      c = consumer(conf);
      c.subscribe(List.of(T), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> ps) {
          if (!ps.isEmpty()) revoked.add(new TreeSet<>(ps.stream().map(TopicPartition::partition).toList()));
        }
        public void onPartitionsAssigned(Collection<TopicPartition> ps) { }
      });
    }
    Set<Integer> owned() { return closed ? Set.of() : new TreeSet<>(c.assignment().stream().map(TopicPartition::partition).toList()); }
    void step() {
      if (closed) return;
      for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
        seen.merge(str(r.value()), 1, Integer::sum);
        c.commitSync(Map.of(new TopicPartition(T, r.partition()), new OffsetAndMetadata(r.offset() + 1)));
      }
    }
    void close() { c.close(); closed = true; }
  }
  interface Cond { boolean ok(); }
  static void runUntil(List<Member> ms, String what, Cond f, long ms0) {
    long end = System.currentTimeMillis() + ms0;
    while (!f.ok()) {
      if (System.currentTimeMillis() > end) {
        StringBuilder sb = new StringBuilder();
        for (Member m : ms) sb.append(m.name).append('=').append(m.owned()).append(' ');
        throw new AssertionError("timed out waiting for " + what + ": " + sb);
      }
      for (Member m : ms) m.step();
    }
  }
  static Map<String, Object> classic(Map<String, Object> extra) {
    Map<String, Object> m = new HashMap<>(Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500));
    m.putAll(extra);
    return m;
  }
  static void produceSpread(String prefix, int n) throws Exception {
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 0; i < n; i++) rs.add(rec(T, i % 3, prefix + "-" + i, prefix + "-" + i));
    KafkaProducer<byte[], byte[]> p = producer(Map.of());
    send(p, rs);
    p.close();
  }
  static boolean have(Map<String, Integer> seen, String prefix, int n) {
    for (int i = 0; i < n; i++) if (!seen.containsKey(prefix + "-" + i)) return false;
    return true;
  }
  static void noDups(Map<String, Integer> seen, int total) {
    List<String> d = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    check(d.isEmpty(), "duplicates: " + d);
    eq(seen.size(), total, "distinct records consumed");
  }
  static Set<Integer> union(Set<Integer> a, Set<Integer> b) { Set<Integer> s = new TreeSet<>(a); s.addAll(b); return s; }
  static boolean disjoint(Set<Integer> a, Set<Integer> b) { return Collections.disjoint(a, b); }

  static void groupRebalance() throws Exception {
    createTopic(admin(), T, 3, Map.of());
    produceSpread("a", 30);
    String g = T + "-g";
    Map<String, Integer> seen = new HashMap<>();
    List<Member> ms = new ArrayList<>();
    for (int i = 1; i <= 3; i++) ms.add(new Member("c" + i, g, seen, classic(Map.of())));
    runUntil(ms, "one partition each", () -> ms.stream().allMatch(m -> m.owned().size() == 1)
        && union(union(ms.get(0).owned(), ms.get(1).owned()), ms.get(2).owned()).size() == 3, 60000);
    runUntil(ms, "30 records", () -> have(seen, "a", 30), 30000);
    ms.get(2).close();
    runUntil(ms, "two members cover 3 partitions", () -> union(ms.get(0).owned(), ms.get(1).owned()).size() == 3 && disjoint(ms.get(0).owned(), ms.get(1).owned()), 60000);
    produceSpread("b", 30);
    runUntil(ms, "30 more records", () -> have(seen, "b", 30), 30000);
    ms.get(0).close();
    ms.get(1).close();
    produceSpread("c", 9);
    Member m4 = new Member("c4", g, seen, classic(Map.of()));
    runUntil(List.of(m4), "resume from commits", () -> have(seen, "c", 9), 60000);
    long end = System.currentTimeMillis() + 1000;
    while (System.currentTimeMillis() < end) m4.step();
    m4.close();
    noDups(seen, 69);
  }

  static void cooperativeSticky() throws Exception {
    createTopic(admin(), T, 3, Map.of());
    produceSpread("a", 30);
    String g = T + "-g";
    Map<String, Integer> seen = new HashMap<>();
    Map<String, Object> conf = classic(Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName()));
    Member a = new Member("A", g, seen, conf);
    runUntil(List.of(a), "A owns all", () -> a.owned().size() == 3, 60000);
    runUntil(List.of(a), "30 records", () -> have(seen, "a", 30), 30000);
    Member bm = new Member("B", g, seen, conf);
    runUntil(List.of(a, bm), "A and B share", () -> !a.owned().isEmpty() && !bm.owned().isEmpty()
        && union(a.owned(), bm.owned()).size() == 3 && disjoint(a.owned(), bm.owned()), 60000);
    Set<Integer> moved = new TreeSet<>();
    a.revoked.forEach(moved::addAll);
    eq(moved, bm.owned(), "A was revoked exactly what moved to B (cooperative)");
    produceSpread("b", 30);
    runUntil(List.of(a, bm), "30 more", () -> have(seen, "b", 30), 30000);
    a.close();
    bm.close();
    noDups(seen, 60);
  }

  static void kip848() throws Exception {
    createTopic(admin(), T, 3, Map.of());
    produceSpread("a", 30);
    String g = T + "-g";
    Map<String, Integer> seen = new HashMap<>();
    Map<String, Object> conf = Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    Member m1 = new Member("m1", g, seen, conf), m2 = new Member("m2", g, seen, conf);
    runUntil(List.of(m1, m2), "two members share 3 partitions", () -> !m1.owned().isEmpty() && !m2.owned().isEmpty()
        && union(m1.owned(), m2.owned()).size() == 3 && disjoint(m1.owned(), m2.owned()), 60000);
    runUntil(List.of(m1, m2), "30 records", () -> have(seen, "a", 30), 30000);
    m1.close();
    m2.close();
    produceSpread("c", 9);
    Member m3 = new Member("m3", g, seen, conf);
    runUntil(List.of(m3), "resume from commits", () -> have(seen, "c", 9), 60000);
    m3.close();
    noDups(seen, 39);
    var d = admin().describeConsumerGroups(List.of(g)).all().get().get(g);
    eq(d.type(), GroupType.CONSUMER, "group type");
  }

  static void transactions() throws Exception {
    createTopic(admin(), T, 1, Map.of());
    KafkaProducer<byte[], byte[]> p = producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, T + "-tx"));
    p.initTransactions();
    String[][] txs = {{"t1", "c"}, {"t2", "a"}, {"t3", "c"}};
    for (String[] tx : txs) {
      p.beginTransaction();
      for (String v : vals(5, tx[0])) p.send(rec(T, 0, v, v));
      p.flush();
      if (tx[1].equals("c")) p.commitTransaction(); else p.abortTransaction();
    }
    List<String> rc = new ArrayList<>(), ru = new ArrayList<>();
    for (int i = 0; i < 5; i++) { rc.add(i + ":t1-" + i + ":t1-" + i); }
    ru.addAll(rc);
    for (int i = 0; i < 5; i++) ru.add((6 + i) + ":t2-" + i + ":t2-" + i);
    for (int i = 0; i < 5; i++) { rc.add((12 + i) + ":t3-" + i + ":t3-" + i); ru.add((12 + i) + ":t3-" + i + ":t3-" + i); }
    eq(triples(read(T, 0, null, 10, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))), rc, "read_committed");
    eq(triples(read(T, 0, null, 15, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"))), ru, "read_uncommitted");
  }

  /**
   * An abandoned transaction (transaction.timeout.ms 2 s, never ended) is aborted by the coordinator on
   * its timeout, in real time: a read_committed reader then gets past it (the record written after it
   * becomes visible, the abandoned one never), and the abandoned producer can no longer commit.
   */
  static void txnTimeout() throws Exception {
    createTopic(admin(), T, 1, Map.of());
    KafkaProducer<byte[], byte[]> abandoned = producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, T + "-tx", ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 2000));
    abandoned.initTransactions();
    abandoned.beginTransaction();
    abandoned.send(rec(T, 0, "open", "open")).get();
    KafkaProducer<byte[], byte[]> plain = producer(Map.of());
    plain.send(rec(T, 0, "after", "after")).get();
    long t0 = System.currentTimeMillis();
    KafkaConsumer<byte[], byte[]> c = consumer(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    c.assign(List.of(new TopicPartition(T, 0)));
    c.seekToBeginning(List.of(new TopicPartition(T, 0)));
    List<String> seen = new ArrayList<>();
    while (!seen.contains("after")) {
      check(System.currentTimeMillis() - t0 < 60000, "read_committed still stuck behind the abandoned transaction after 60 s");
      for (var r : c.poll(Duration.ofMillis(200))) seen.add(str(r.value()));
    }
    eq(seen, List.of("after"), "read_committed after the timeout");
    boolean refused = false;
    try { abandoned.commitTransaction(); } catch (org.apache.kafka.common.KafkaException e) { refused = true; }
    check(refused, "the abandoned producer committed after its transaction timed out");
    System.out.println("RESULT {\"abortedAfterMs\":" + (System.currentTimeMillis() - t0) + "}");
  }

  static void adminGroups() throws Exception {
    Admin a = admin();
    createTopic(a, T, 1, Map.of());
    produceN(producer(Map.of()), T, 10, "v");
    String g = T + "-g";
    KafkaConsumer<byte[], byte[]> c = consumer(classic(Map.of(ConsumerConfig.GROUP_ID_CONFIG, g, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")));
    c.subscribe(List.of(T));
    long end = System.currentTimeMillis() + 30000;
    boolean done = false;
    while (!done) {
      check(System.currentTimeMillis() < end, "timed out consuming");
      for (var r : c.poll(Duration.ofMillis(200))) {
        if (r.offset() == 6 && !done) { c.commitSync(Map.of(new TopicPartition(T, 0), new OffsetAndMetadata(7))); done = true; }
      }
    }
    c.close();
    check(a.listGroups().all().get().stream().anyMatch(l -> l.groupId().equals(g)), "listGroups misses " + g);
    ConsumerGroupDescription d = a.describeConsumerGroups(List.of(g)).all().get().get(g);
    eq(d.groupState() + "/" + d.members().size(), GroupState.EMPTY + "/0", "describeConsumerGroups");
    var offs = a.listConsumerGroupOffsets(g).partitionsToOffsetAndMetadata().get();
    eq(offs.get(new TopicPartition(T, 0)).offset(), 7L, "committed offset");
    eq(offs.size(), 1, "committed partitions");
    a.deleteConsumerGroups(List.of(g)).all().get();
    check(a.listGroups().all().get().stream().noneMatch(l -> l.groupId().equals(g)), "group still listed after delete");
  }
}
