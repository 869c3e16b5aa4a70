package odradek.eos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The exactly-once checker of issue #16 (item 5): reads a whole topic with the Java client 4.4 at
 * an isolation level (read_committed by default) and proves, against an expected set:
 *   - no open transaction is left: every partition's last stable offset reaches its high watermark
 *     (waits up to --wait seconds), so a read_committed consumer is not stuck;
 *   - no committed record is missing and none is seen twice (values are unique by construction);
 *   - no aborted record is seen (--forbid-file values, and any value outside the expected set, which
 *     is also how a surfaced control record would show: its key/value bytes are no expected value);
 *   - order per partition is kept: for the values of one expected partition, their order in each
 *     output partition is their expected order (--expect-topic: the input topic's partitions);
 *   - at read_committed, every record seen has the same offset, key and value at read_uncommitted
 *     (a second read), and the records only read_uncommitted shows are counted (aborted data).
 *
 *   Checker --bootstrap B --topic T [--isolation read_committed|read_uncommitted]
 *           (--expect-topic IN [--expect-count N] | --expect-file F...) [--forbid-file F...] [--wait S]
 *   Checker --bootstrap B --topic T --final-counts F [--wait S]
 *
 * Expected files: one value per line, or `partition<TAB>value` (the partition the value was written
 * to, which makes its order checked). --final-counts (Kafka Streams word count): lines
 * `word<TAB>count`; the topic's records are word → count (8-byte long); per word the counts must rise
 * strictly, never pass the expected count, and the last must equal it (re-read until --wait ends).
 *
 * Prints one `RESULT {json}` line; exit 0 when every check holds, 1 otherwise (reason on stderr).
 */
public final class Checker {
  record Rec(int partition, long offset, String key, String value) {}

  record Exp(int partition, int index) {}

  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv);
    String bootstrap = a.get("bootstrap");
    String topic = a.get("topic");
    long waitMs = (long) (Double.parseDouble(a.get("wait", "60")) * 1000);
    List<String> failures = new ArrayList<>();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("topic", topic);
    long t0 = System.currentTimeMillis();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      List<TopicPartition> parts = partitions(admin, topic);
      result.put("partitions", parts.size());
      if (a.has("final-counts")) {
        finalCounts(a, bootstrap, parts, waitMs, failures, result);
      } else {
        records(a, admin, bootstrap, topic, parts, waitMs, failures, result);
      }
    }
    result.put("ms", System.currentTimeMillis() - t0);
    result.put("ok", failures.isEmpty());
    result.put("failures", failures);
    System.out.println("RESULT " + json(result));
    if (!failures.isEmpty()) {
      System.err.println("checker: " + String.join("; ", failures));
      System.exit(1);
    }
    System.err.println("checker: ok " + json(result));
  }

  static void records(Args a, Admin admin, String bootstrap, String topic, List<TopicPartition> parts, long waitMs,
      List<String> failures, Map<String, Object> result) throws Exception {
    IsolationLevel iso = IsolationLevel.valueOf(a.get("isolation", "read_committed").toUpperCase());
    result.put("isolation", iso.toString());
    // the last stable offset must reach the high watermark: no transaction left open
    long deadline = System.currentTimeMillis() + waitMs;
    Map<TopicPartition, Long> lso;
    Map<TopicPartition, Long> hw;
    while (true) {
      lso = ends(admin, parts, IsolationLevel.READ_COMMITTED);
      hw = ends(admin, parts, IsolationLevel.READ_UNCOMMITTED);
      if (lso.equals(hw) || System.currentTimeMillis() > deadline) break;
      Thread.sleep(500);
    }
    if (!lso.equals(hw)) failures.add("last stable offset below the high watermark after " + waitMs / 1000 + " s (open transaction): LSO " + lso + " HW " + hw);
    result.put("highWatermarks", hw.values().stream().mapToLong(Long::longValue).sum());

    // what must be seen, with its partition and index when known
    Map<String, Exp> expected = new HashMap<>();
    if (a.has("expect-topic")) {
      String in = a.get("expect-topic");
      List<TopicPartition> inParts = partitions(admin, in);
      for (Rec r : readAll(bootstrap, inParts, IsolationLevel.READ_COMMITTED)) {
        if (expected.put(r.value, new Exp(r.partition, expected.size())) != null) failures.add("input topic " + in + " holds value " + r.value + " twice");
      }
      if (a.has("expect-count") && expected.size() != Integer.parseInt(a.get("expect-count"))) {
        failures.add("input topic " + in + " holds " + expected.size() + " distinct values, not " + a.get("expect-count"));
      }
    }
    for (String f : a.all("expect-file")) {
      for (String line : Files.readAllLines(Path.of(f), StandardCharsets.UTF_8)) {
        if (line.isEmpty()) continue;
        int tab = line.indexOf('\t');
        int p = tab < 0 ? -1 : Integer.parseInt(line.substring(0, tab));
        String v = tab < 0 ? line : line.substring(tab + 1);
        if (expected.put(v, new Exp(p, expected.size())) != null) failures.add("expected value " + v + " listed twice");
      }
    }
    Set<String> forbidden = new HashSet<>();
    for (String f : a.all("forbid-file")) {
      for (String line : Files.readAllLines(Path.of(f), StandardCharsets.UTF_8)) {
        if (!line.isEmpty()) forbidden.add(line.indexOf('\t') < 0 ? line : line.substring(line.indexOf('\t') + 1));
      }
    }
    result.put("expected", expected.size());

    List<Rec> seen = readAll(bootstrap, parts, iso);
    result.put("seen", seen.size());
    Map<String, Integer> times = new HashMap<>();
    List<String> dups = new ArrayList<>();
    List<String> aborted = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> disorder = new ArrayList<>();
    Map<String, Integer> lastIndex = new HashMap<>(); // "outPartition/expPartition" -> last expected index
    for (Rec r : seen) {
      if (times.merge(r.value, 1, Integer::sum) == 2) dups.add(r.value);
      Exp e = expected.get(r.value);
      if (forbidden.contains(r.value)) aborted.add(r.partition + "@" + r.offset + "=" + r.value);
      else if (e == null) unexpected.add(r.partition + "@" + r.offset + "=" + r.value);
      if (e != null) {
        String k = r.partition + "/" + e.partition;
        Integer prev = lastIndex.put(k, e.index);
        if (prev != null && prev > e.index) disorder.add(r.partition + "@" + r.offset + "=" + r.value);
      }
    }
    List<String> missing = expected.keySet().stream().filter(v -> !times.containsKey(v)).sorted().collect(Collectors.toList());
    result.put("duplicates", dups.size());
    result.put("missing", missing.size());
    result.put("abortedSeen", aborted.size());
    result.put("unexpected", unexpected.size());
    result.put("outOfOrder", disorder.size());
    if (!dups.isEmpty()) failures.add(dups.size() + " values seen more than once, e.g. " + head(dups));
    if (!missing.isEmpty()) failures.add(missing.size() + " expected values missing, e.g. " + head(missing));
    if (!aborted.isEmpty()) failures.add(aborted.size() + " aborted records seen, e.g. " + head(aborted));
    if (!unexpected.isEmpty()) failures.add(unexpected.size() + " unexpected records seen (aborted data or a control record?), e.g. " + head(unexpected));
    if (!disorder.isEmpty()) failures.add(disorder.size() + " records out of their partition's order, e.g. " + head(disorder));

    if (iso == IsolationLevel.READ_COMMITTED) {
      // the committed view is the uncommitted log minus aborted data, record for record
      Map<String, Rec> all = new HashMap<>();
      for (Rec r : readAll(bootstrap, parts, IsolationLevel.READ_UNCOMMITTED)) all.put(r.partition + "@" + r.offset, r);
      int differ = 0;
      for (Rec r : seen) {
        Rec u = all.get(r.partition + "@" + r.offset);
        if (u == null || !u.value.equals(r.value) || !java.util.Objects.equals(u.key, r.key)) differ++;
      }
      result.put("uncommittedOnly", all.size() - seen.size());
      if (differ > 0) failures.add(differ + " read_committed records differ from the record at their offset at read_uncommitted");
    }
  }

  static void finalCounts(Args a, String bootstrap, List<TopicPartition> parts, long waitMs, List<String> failures,
      Map<String, Object> result) throws IOException {
    Map<String, Long> expected = new TreeMap<>();
    for (String line : Files.readAllLines(Path.of(a.get("final-counts")), StandardCharsets.UTF_8)) {
      if (line.isEmpty()) continue;
      int tab = line.indexOf('\t');
      expected.put(line.substring(0, tab), Long.parseLong(line.substring(tab + 1)));
    }
    Map<String, Long> last = new HashMap<>();
    List<String> bad = new ArrayList<>();
    long records = 0;
    long deadline = System.currentTimeMillis() + waitMs;
    try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, IsolationLevel.READ_COMMITTED)) {
      c.assign(parts);
      c.seekToBeginning(parts);
      while (true) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          records++;
          String word = new String(r.key(), StandardCharsets.UTF_8);
          long n = java.nio.ByteBuffer.wrap(r.value()).getLong();
          Long prev = last.put(word, n);
          Long want = expected.get(word);
          if (want == null) bad.add("unexpected word " + word);
          else if (n > want) bad.add(word + " counted " + n + " > " + want + " (a duplicate)");
          else if (prev != null && n <= prev) bad.add(word + " count went " + prev + " -> " + n);
        }
        if (!bad.isEmpty() || last.equals(expected) || System.currentTimeMillis() > deadline) break;
      }
    }
    result.put("words", expected.size());
    result.put("records", records);
    result.put("finalCountsMatch", last.equals(expected));
    failures.addAll(bad.stream().limit(5).collect(Collectors.toList()));
    if (bad.isEmpty() && !last.equals(expected)) {
      List<String> diff = expected.entrySet().stream().filter(e -> !e.getValue().equals(last.get(e.getKey())))
          .map(e -> e.getKey() + "=" + last.get(e.getKey()) + " (want " + e.getValue() + ")").collect(Collectors.toList());
      failures.add(diff.size() + " words without their final count after " + waitMs / 1000 + " s, e.g. " + head(diff));
    }
  }

  /** Every record of the partitions, from the beginning to their end at this isolation level. */
  static List<Rec> readAll(String bootstrap, List<TopicPartition> parts, IsolationLevel iso) {
    List<Rec> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, iso)) {
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long idleSince = System.currentTimeMillis();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        var batch = c.poll(Duration.ofMillis(500));
        if (!batch.isEmpty()) idleSince = System.currentTimeMillis();
        else if (System.currentTimeMillis() - idleSince > 30_000) throw new IllegalStateException("no progress for 30 s reading to " + end + " at " + iso);
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          out.add(new Rec(r.partition(), r.offset(), r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
              r.value() == null ? "<null>" : new String(r.value(), StandardCharsets.UTF_8)));
        }
      }
    }
    return out;
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, IsolationLevel iso) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, iso.toString());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static List<TopicPartition> partitions(Admin admin, String topic) throws ExecutionException, InterruptedException {
    int n = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    List<TopicPartition> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(new TopicPartition(topic, i));
    return out;
  }

  static Map<TopicPartition, Long> ends(Admin admin, List<TopicPartition> parts, IsolationLevel iso) throws Exception {
    Map<TopicPartition, OffsetSpec> req = parts.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
    Map<TopicPartition, Long> out = new TreeMap<>((x, y) -> Integer.compare(x.partition(), y.partition()));
    admin.listOffsets(req, new ListOffsetsOptions(iso)).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  static String head(List<String> xs) {
    return xs.stream().limit(5).collect(Collectors.joining(", "));
  }

  static String json(Map<String, Object> m) {
    return m.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + jsonValue(e.getValue())).collect(Collectors.joining(",", "{", "}"));
  }

  static String jsonValue(Object v) {
    if (v instanceof Number || v instanceof Boolean) return v.toString();
    if (v instanceof List<?> l) return l.stream().map(Checker::jsonValue).collect(Collectors.joining(",", "[", "]"));
    return "\"" + String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
