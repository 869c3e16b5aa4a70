package odradek.eos;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Transactions from the Java client 4.4 under whichever transaction.version the broker finalizes
 * (1: explicit AddPartitionsToTxn/AddOffsetsToTxn, EndTxn ≤ v4; 2: KIP-890, Produce v12+ adds the
 * partitions, EndTxn v5 bumps the epoch): --txns transactions over every partition of --topic,
 * interleaved commits and aborts (every third one aborted, one empty abort), each committing a
 * consumer-group offset with sendOffsetsToTransaction; then a second producer with the same
 * transactional.id fences the first (its next commit must fail fenced) and commits one more.
 * Writes the committed values to --committed, the aborted ones to --aborted and both in send order to
 * --all (`partition<TAB>value`), for the checker; checks the group's committed offset is the last committed transaction's.
 *
 *   TxnMix --bootstrap B --topic T --partitions P --txns N --per-partition R --committed F --aborted F --all F
 */
public final class TxnMix {
  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv);
    String bootstrap = a.get("bootstrap");
    String topic = a.get("topic");
    int parts = Integer.parseInt(a.get("partitions"));
    int txns = Integer.parseInt(a.get("txns"));
    int per = Integer.parseInt(a.get("per-partition", "10"));
    String group = topic + "-group";
    String tid = topic + "-txn";
    TopicPartition offsetsOf = new TopicPartition(topic, 0);
    List<String> committed = new ArrayList<>();
    List<String> aborted = new ArrayList<>();
    List<String> all = new ArrayList<>(); // in send order: what read_uncommitted shows
    long lastCommittedOffset = -1;
    KafkaProducer<String, String> p1 = producer(bootstrap, tid);
    p1.initTransactions();
    ConsumerGroupMetadata gm = new ConsumerGroupMetadata(group);
    for (int t = 0; t < txns; t++) {
      boolean abort = t % 3 == 1;
      p1.beginTransaction();
      if (t == txns / 2) { p1.abortTransaction(); p1.beginTransaction(); } // an empty transaction aborted
      for (int j = 0; j < per; j++) {
        for (int p = 0; p < parts; p++) {
          String v = "t" + t + "-p" + p + "-" + j;
          p1.send(new ProducerRecord<>(topic, p, "k" + j, v));
          (abort ? aborted : committed).add(p + "\t" + v);
          all.add(p + "\t" + v);
        }
      }
      p1.sendOffsetsToTransaction(Map.of(offsetsOf, new OffsetAndMetadata(1000 + t)), gm);
      // sent before the abort: the client drops batches still unsent when it aborts, and the aborted
      // data must be in the log for read_uncommitted to see (and read_committed to hide)
      p1.flush();
      if (abort) p1.abortTransaction();
      else { p1.commitTransaction(); lastCommittedOffset = 1000 + t; }
    }
    // fencing: a second producer with the same transactional.id
    p1.beginTransaction();
    p1.send(new ProducerRecord<>(topic, 0, "fenced", "fenced-0")).get();
    aborted.add("0\tfenced-0");
    all.add("0\tfenced-0");
    KafkaProducer<String, String> p2 = producer(bootstrap, tid);
    p2.initTransactions(); // aborts p1's open transaction and bumps the epoch
    boolean fenced = false;
    try {
      p1.commitTransaction();
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      fenced = true;
    } catch (org.apache.kafka.common.KafkaException e) {
      fenced = e.getCause() instanceof ProducerFencedException || e.getCause() instanceof InvalidProducerEpochException;
      if (!fenced) throw e;
    }
    p1.close(Duration.ZERO);
    if (!fenced) fail("the first producer committed after a second one with the same transactional.id initialized");
    p2.beginTransaction();
    for (int p = 0; p < parts; p++) {
      p2.send(new ProducerRecord<>(topic, p, "after", "after-fence-p" + p));
      committed.add(p + "\tafter-fence-p" + p);
      all.add(p + "\tafter-fence-p" + p);
    }
    p2.commitTransaction();
    p2.close();

    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
      OffsetAndMetadata o = c.committed(java.util.Set.of(offsetsOf), Duration.ofSeconds(30)).get(offsetsOf);
      if (o == null || o.offset() != lastCommittedOffset) fail("group " + group + " committed offset " + o + ", want " + lastCommittedOffset + " (the last committed transaction's)");
    }
    Files.writeString(Path.of(a.get("committed")), String.join("\n", committed) + "\n", StandardCharsets.UTF_8);
    Files.writeString(Path.of(a.get("aborted")), String.join("\n", aborted) + "\n", StandardCharsets.UTF_8);
    Files.writeString(Path.of(a.get("all")), String.join("\n", all) + "\n", StandardCharsets.UTF_8);
    System.out.println("txnmix: " + txns + " transactions, " + committed.size() + " committed and " + aborted.size() + " aborted records, fenced ok, group offset " + lastCommittedOffset);
  }

  static KafkaProducer<String, String> producer(String bootstrap, String tid) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, tid);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static void fail(String why) {
    System.err.println("txnmix: " + why);
    System.exit(1);
  }
}
