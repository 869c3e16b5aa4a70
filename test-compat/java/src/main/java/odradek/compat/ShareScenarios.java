package odradek.compat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Share-group scenarios (KIP-932, issue #17) of the Java client: KafkaShareConsumer 4.4.
 *
 * <pre>
 * share-implicit / share-explicit   3 share consumers (threads) on one 2-partition topic, 30,000 records:
 *                                   every record delivered once (delivery count 1) and acknowledged
 *                                   (implicit acknowledgement; explicit acknowledge(record, ACCEPT));
 *                                   the share-partition start offsets end at the log end.
 * share-consumer-kill               a consumer in its own JVM acquires records and is killed (SIGKILL);
 *                                   two others receive its records after the lock expires (delivery
 *                                   count 2) and every record is accepted.
 * share-release-archive             one record released 5 times (delivery counts 1..5) is archived: a
 *                                   record produced after it is delivered, it never again.
 * share-read-committed              share.isolation.level=read_committed (group config): a transactional
 *                                   producer commits 100 records, aborts 50, leaves 20 open, then 10
 *                                   plain records follow: the 100 are delivered, nothing past the open
 *                                   transaction for 3 s; after its commit the 20 and the 10; the aborted
 *                                   50 never; each record once.
 * share-record-limit                share.acquire.mode=record_limit, max.poll.records=7: 100 records
 *                                   produced in few batches; no poll returns more than 7 records (the
 *                                   broker splits batches at the limit), every record once.
 * </pre>
 * Sub-commands used by the scenarios and by test-compat/share-crash/run.mjs (child JVMs):
 * {@code share-hold --group G} (acquire one poll's records, print "H partition:offset" each and
 * "HOLD", never acknowledge), {@code share-produce --group G --count N} (topic with 2 partitions, the
 * group config, N records), {@code share-log --group G --stop-file F} (print "D partition offset
 * deliveryCount millis" per delivery, implicit acknowledgement, until F exists).
 * Every group sets share.auto.offset.reset=earliest through Admin.incrementalAlterConfigs (GROUP).
 */
final class ShareScenarios {
  static String B, T;

  static void check(boolean c, String m) { if (!c) throw new AssertionError(m); }

  static Admin admin() { return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, B)); }

  static void setup(String topic, int partitions, String group) throws Exception {
    try (Admin a = admin()) {
      try {
        a.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) throw e;
      }
      a.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group),
          List.of(new AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET)))).all().get();
    }
  }

  static void produce(String topic, int n, int partitions) throws Exception {
    Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, B, ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<byte[], byte[]> pr = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++) pr.send(new ProducerRecord<>(topic, i % partitions, null, ("v" + i).getBytes(StandardCharsets.UTF_8)));
      pr.flush();
    }
  }

  static KafkaShareConsumer<byte[], byte[]> consumer(String group, boolean explicit, Map<String, Object> extra) {
    Map<String, Object> c = new HashMap<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, B, ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
    if (explicit) c.put("share.acknowledgement.mode", "explicit");
    c.putAll(extra);
    KafkaShareConsumer<byte[], byte[]> k = new KafkaShareConsumer<>(c);
    return k;
  }

  static Map<TopicPartition, SharePartitionOffsetInfo> startOffsets(String group) throws Exception {
    try (Admin a = admin()) {
      return a.listShareGroupOffsets(Map.of(group, new ListShareGroupOffsetsSpec())).partitionsToOffsetInfo(group).get();
    }
  }

  static String describeOffsets(String group) {
    try { return String.valueOf(startOffsets(group)); } catch (Exception e) { return e.toString(); }
  }

  /** "p:o" → deliveries (consumer index, delivery count). */
  static final class Log {
    final ConcurrentHashMap<String, List<int[]>> deliveries = new ConcurrentHashMap<>();
    final AtomicLong total = new AtomicLong();
    void add(int who, ConsumerRecord<?, ?> r) {
      deliveries.computeIfAbsent(r.partition() + ":" + r.offset(), k -> Collections.synchronizedList(new ArrayList<>()))
          .add(new int[] {who, r.deliveryCount().map(Short::intValue).orElse(-1)});
      total.incrementAndGet();
    }
  }

  /** Polls in a thread until stop; acknowledges per mode; records deliveries in log. */
  static Thread pollLoop(int who, String group, boolean explicit, Log log, AtomicBoolean stop, List<Throwable> errors) {
    Thread t = new Thread(() -> {
      try (KafkaShareConsumer<byte[], byte[]> k = consumer(group, explicit, Map.of())) {
        k.subscribe(List.of(T));
        while (!stop.get()) {
          ConsumerRecords<byte[], byte[]> rs = k.poll(Duration.ofMillis(200));
          for (ConsumerRecord<byte[], byte[]> r : rs) {
            log.add(who, r);
            if (explicit) k.acknowledge(r, AcknowledgeType.ACCEPT);
          }
        }
        k.commitSync(Duration.ofSeconds(10));
      } catch (Throwable e) {
        errors.add(e);
      }
    }, "share-" + who);
    t.start();
    return t;
  }

  static void waitFor(String what, long ms, java.util.function.BooleanSupplier cond) throws InterruptedException {
    waitFor(() -> what, ms, cond);
  }

  static void waitFor(java.util.function.Supplier<String> what, long ms, java.util.function.BooleanSupplier cond) throws InterruptedException {
    long end = System.currentTimeMillis() + ms;
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() > end) throw new AssertionError("timed out waiting for " + what.get());
      Thread.sleep(100);
    }
  }

  static void exactlyOnce(boolean explicit) throws Exception {
    final int n = 30_000;
    String group = T + "-share";
    setup(T, 2, group);
    produce(T, n, 2);
    Log log = new Log();
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    long t0 = System.currentTimeMillis();
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < 3; i++) ts.add(pollLoop(i, group, explicit, log, stop, errors));
    waitFor(n + " distinct records (have " + log.deliveries.size() + ")", 120_000, () -> log.deliveries.size() >= n || !errors.isEmpty());
    Thread.sleep(2000); // anything delivered twice shows up here
    stop.set(true);
    for (Thread t : ts) t.join(30_000);
    if (!errors.isEmpty()) throw new RuntimeException(errors.get(0));
    int[] per = new int[3];
    int twice = 0, dc = 0;
    for (List<int[]> ds : log.deliveries.values()) {
      if (ds.size() != 1) twice++;
      for (int[] d : ds) { per[d[0]]++; if (d[1] != 1) dc++; }
    }
    System.out.println("deliveries " + log.total.get() + " distinct " + log.deliveries.size() + " per consumer " + Arrays.toString(per)
        + " in " + (System.currentTimeMillis() - t0) + " ms");
    check(log.deliveries.size() == n, "distinct records " + log.deliveries.size() + " != " + n);
    check(twice == 0, twice + " records delivered more than once");
    check(dc == 0, dc + " deliveries with a delivery count other than 1");
    // Every record acknowledged: no lag left on either partition. (The start offset Kafka reports is the
    // persisted one, written before the acknowledgement moves it: it may trail the last offset by a batch.)
    waitFor(() -> "lag 0 on both partitions: " + describeOffsets(group), 15_000, () -> {
      try {
        Map<TopicPartition, SharePartitionOffsetInfo> so = startOffsets(group);
        return so.size() == 2 && so.values().stream().allMatch(i -> i.lag().orElse(-1L) == 0);
      } catch (Exception e) { return false; }
    });
    System.out.println("share-group offsets " + describeOffsets(group));
  }

  static void consumerKill() throws Exception {
    final int n = 3_000;
    String group = T + "-share";
    setup(T, 2, group);
    produce(T, n, 2);
    String cp = System.getProperty("java.class.path");
    Process victim = new ProcessBuilder("java", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", cp, "odradek.compat.Scenarios",
        "--bootstrap", B, "--topic", T, "--scenario", "share-hold", "--group", group).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(victim.getInputStream(), StandardCharsets.UTF_8));
    Set<String> held = new HashSet<>();
    String line;
    long holdUntil = System.currentTimeMillis() + 60_000;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("H ")) held.add(line.substring(2));
      if (line.equals("HOLD")) break;
      if (System.currentTimeMillis() > holdUntil) break;
    }
    check(!held.isEmpty(), "the consumer to be killed acquired nothing");
    Log log = new Log();
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < 2; i++) ts.add(pollLoop(i, group, false, log, stop, errors));
    Thread.sleep(1000);
    long killedAt = System.currentTimeMillis();
    victim.destroyForcibly(); // SIGKILL: the member neither acknowledges nor leaves
    victim.waitFor();
    waitFor("all " + n + " records on the survivors (have " + log.deliveries.size() + ")", 150_000, () -> log.deliveries.size() >= n || !errors.isEmpty());
    long took = System.currentTimeMillis() - killedAt;
    Thread.sleep(2000);
    stop.set(true);
    for (Thread t : ts) t.join(30_000);
    if (!errors.isEmpty()) throw new RuntimeException(errors.get(0));
    int redelivered = 0;
    for (String k : held) {
      List<int[]> ds = log.deliveries.get(k);
      check(ds != null, "held record " + k + " never redelivered");
      if (ds.stream().anyMatch(d -> d[1] >= 2)) redelivered++;
    }
    int twice = 0;
    for (Map.Entry<String, List<int[]>> e : log.deliveries.entrySet()) if (e.getValue().size() > 1) twice++;
    System.out.println("killed a consumer holding " + held.size() + " records; survivors saw all " + n + " " + took + " ms after the kill; "
        + redelivered + " of the held records came with delivery count >= 2; " + twice + " delivered twice to survivors");
    check(redelivered == held.size(), (held.size() - redelivered) + " held records came back with delivery count 1");
    check(twice == 0, twice + " records delivered twice to the survivors");
  }

  /** Child JVM of share-consumer-kill: acquires one batch, prints it, holds the locks forever. */
  static void hold(String group) throws Exception {
    KafkaShareConsumer<byte[], byte[]> k = consumer(group, true, Map.of());
    k.subscribe(List.of(T));
    long end = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < end) {
      ConsumerRecords<byte[], byte[]> rs = k.poll(Duration.ofMillis(500));
      if (rs.isEmpty()) continue;
      for (ConsumerRecord<byte[], byte[]> r : rs) System.out.println("H " + r.partition() + ":" + r.offset());
      System.out.println("HOLD");
      System.out.flush();
      // keep heartbeating but never acknowledge: poll is not called again in explicit mode without acks
      Thread.sleep(600_000);
    }
    System.out.println("HOLD");
  }

  static void releaseArchive() throws Exception {
    String group = T + "-share";
    setup(T, 1, group);
    produce(T, 1, 1);
    List<Integer> counts = new ArrayList<>();
    try (KafkaShareConsumer<byte[], byte[]> k = consumer(group, true, Map.of())) {
      k.subscribe(List.of(T));
      long end = System.currentTimeMillis() + 60_000;
      boolean marker = false;
      while (System.currentTimeMillis() < end && !marker) {
        ConsumerRecords<byte[], byte[]> rs = k.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : rs) {
          if (r.offset() == 0) {
            counts.add(r.deliveryCount().map(Short::intValue).orElse(-1));
            k.acknowledge(r, AcknowledgeType.RELEASE);
          } else {
            check(r.offset() == 1 && r.deliveryCount().map(Short::intValue).orElse(-1) == 1, "unexpected delivery of offset " + r.offset() + " count " + r.deliveryCount());
            k.acknowledge(r, AcknowledgeType.ACCEPT);
            marker = true;
          }
        }
        k.commitSync(Duration.ofSeconds(10));
        if (counts.size() == 5 && !marker) {
          // the 5th release archived offset 0; a new record must come, the old one not
          produce(T, 1, 1);
          counts.add(0);
        }
      }
      check(marker, "the record produced after the 5th release was not delivered; delivery counts seen " + counts);
    }
    System.out.println("delivery counts of offset 0 " + counts.subList(0, 5) + ", then archived");
    check(counts.equals(List.of(1, 2, 3, 4, 5, 0)), "delivery counts of offset 0: " + counts + " (expected 1..5, then none)");
    waitFor(() -> "lag 0: " + describeOffsets(group), 15_000, () -> {
      try { return startOffsets(group).get(new TopicPartition(T, 0)).lag().orElse(-1L) == 0; } catch (Exception e) { return false; }
    });
    System.out.println("share-group offsets " + describeOffsets(group));
  }

  static void readCommitted() throws Exception {
    String group = T + "-share";
    setup(T, 1, group);
    try (Admin a = admin()) {
      a.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group),
          List.of(new AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry("share.isolation.level", "read_committed"), AlterConfigOp.OpType.SET)))).all().get();
    }
    Map<String, Object> pc = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, B, ProducerConfig.TRANSACTIONAL_ID_CONFIG, T + "-txn",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    try (KafkaProducer<byte[], byte[]> tx = new KafkaProducer<>(pc); KafkaShareConsumer<byte[], byte[]> k = consumer(group, false, Map.of())) {
      tx.initTransactions();
      for (String[] t : new String[][] {{"c", "100", "commit"}, {"a", "50", "abort"}, {"o", "20", "open"}}) {
        tx.beginTransaction();
        for (int i = 0; i < Integer.parseInt(t[1]); i++) tx.send(new ProducerRecord<>(T, 0, null, (t[0] + i).getBytes(StandardCharsets.UTF_8)));
        tx.flush();
        if (t[2].equals("commit")) tx.commitTransaction();
        else if (t[2].equals("abort")) tx.abortTransaction();
      }
      produce(T, 10, 1); // "v0".."v9", past the open transaction
      k.subscribe(List.of(T));
      Runnable poll = () -> {
        for (ConsumerRecord<byte[], byte[]> r : k.poll(Duration.ofMillis(200))) seen.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum);
      };
      long end = System.currentTimeMillis() + 30_000;
      while (seen.size() < 100 && System.currentTimeMillis() < end) poll.run();
      long quiet = System.currentTimeMillis() + 3_000;
      while (System.currentTimeMillis() < quiet) poll.run();
      Set<String> first = new TreeSet<>(seen.keySet());
      check(first.size() == 100 && first.stream().allMatch(v -> v.startsWith("c")), "before the commit expected c0..c99 only, got " + first.size() + ": " + first.stream().filter(v -> !v.startsWith("c")).limit(10).toList());
      tx.commitTransaction();
      end = System.currentTimeMillis() + 30_000;
      while (seen.size() < 130 && System.currentTimeMillis() < end) poll.run();
      quiet = System.currentTimeMillis() + 1_000;
      while (System.currentTimeMillis() < quiet) poll.run();
      k.commitSync(Duration.ofSeconds(10));
    }
    long aborted = seen.keySet().stream().filter(v -> v.startsWith("a")).count();
    long twice = seen.values().stream().filter(n -> n > 1).count();
    System.out.println("delivered " + seen.size() + " distinct records, " + aborted + " of the aborted transaction, " + twice + " more than once");
    check(aborted == 0 && twice == 0 && seen.size() == 130, "expected the 130 committed or plain records once each");
  }

  static void recordLimit() throws Exception {
    String group = T + "-share";
    setup(T, 1, group);
    Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, B, ProducerConfig.LINGER_MS_CONFIG, 200,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<byte[], byte[]> pr = new KafkaProducer<>(p)) {
      for (int i = 0; i < 100; i++) pr.send(new ProducerRecord<>(T, 0, null, ("v" + i).getBytes(StandardCharsets.UTF_8)));
      pr.flush();
    }
    Map<Long, Integer> seen = new TreeMap<>();
    int largest = 0;
    try (KafkaShareConsumer<byte[], byte[]> k = consumer(group, true, Map.of("share.acquire.mode", "record_limit", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 7))) {
      k.subscribe(List.of(T));
      long end = System.currentTimeMillis() + 60_000;
      while (seen.size() < 100 && System.currentTimeMillis() < end) {
        ConsumerRecords<byte[], byte[]> rs = k.poll(Duration.ofMillis(200));
        largest = Math.max(largest, rs.count());
        for (ConsumerRecord<byte[], byte[]> r : rs) {
          seen.merge(r.offset(), 1, Integer::sum);
          k.acknowledge(r, AcknowledgeType.ACCEPT);
        }
        k.commitSync(Duration.ofSeconds(10));
      }
    }
    long twice = seen.values().stream().filter(n -> n > 1).count();
    System.out.println("delivered " + seen.size() + " records, largest poll " + largest + ", " + twice + " more than once");
    check(seen.size() == 100 && twice == 0 && largest <= 7, "expected offsets 0..99 once each in polls of at most 7");
  }

  /** Child of share-crash/run.mjs: one line per delivery, implicit acknowledgement, until stopFile exists. */
  static void logDeliveries(String group, java.nio.file.Path stopFile) throws Exception {
    PrintStream o = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
    try (KafkaShareConsumer<byte[], byte[]> k = consumer(group, false, Map.of())) {
      k.subscribe(List.of(T));
      while (!java.nio.file.Files.exists(stopFile)) {
        ConsumerRecords<byte[], byte[]> rs;
        try {
          rs = k.poll(Duration.ofMillis(200));
        } catch (org.apache.kafka.common.errors.RetriableException e) {
          o.println("E " + e);
          continue;
        }
        long now = System.currentTimeMillis();
        for (ConsumerRecord<byte[], byte[]> r : rs) o.println("D " + r.partition() + " " + r.offset() + " " + r.deliveryCount().map(Short::intValue).orElse(-1) + " " + now);
        o.flush();
      }
      k.commitSync(Duration.ofSeconds(10));
    }
    o.flush();
  }

  static void run(String s, String b, String t, Map<String, String> opts) throws Exception {
    B = b;
    T = t;
    switch (s) {
      case "share-implicit" -> exactlyOnce(false);
      case "share-explicit" -> exactlyOnce(true);
      case "share-consumer-kill" -> consumerKill();
      case "share-release-archive" -> releaseArchive();
      case "share-read-committed" -> readCommitted();
      case "share-record-limit" -> recordLimit();
      case "share-hold" -> hold(opts.get("--group"));
      case "share-produce" -> { setup(T, 2, opts.get("--group")); produce(T, Integer.parseInt(opts.get("--count")), 2); }
      case "share-log" -> logDeliveries(opts.get("--group"), java.nio.file.Path.of(opts.get("--stop-file")));
      default -> throw new Scenarios.Unsupported("java: scenario " + s + " is not implemented");
    }
  }
}
