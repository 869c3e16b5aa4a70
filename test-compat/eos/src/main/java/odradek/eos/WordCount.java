package odradek.eos;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

/**
 * A Kafka Streams 4.4 word count with processing.guarantee=exactly_once_v2: lines of --input are
 * split on spaces, re-keyed by word (a repartition topic), counted in a state store (a changelog
 * topic) and the counts written to --output (word → 8-byte long). Every step is inside the
 * application's transactions, so after a broker kill -9 the read_committed counts are exact.
 *
 *   WordCount --bootstrap B --input T --output O --app-id A --state-dir D
 *
 * Runs until SIGTERM. Prints `processed N` about every 1,000 lines read (re-reads after a restart
 * count again: a progress signal only) and `state S` on each state change; exits 1 if the
 * application reaches ERROR (a thread that dies is replaced first).
 */
public final class WordCount {
  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, a.get("app-id"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, a.has("state-dir") ? a.get("state-dir") : Files.createTempDirectory("wordcount").toString());
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);

    AtomicLong lines = new AtomicLong();
    StreamsBuilder b = new StreamsBuilder();
    b.stream(a.get("input"), Consumed.with(Serdes.String(), Serdes.String()))
        .peek((k, v) -> { if (lines.incrementAndGet() % 1000 == 0) System.out.println("processed " + lines.get()); })
        .flatMap((k, line) -> Arrays.stream(line.split(" ")).filter(w -> !w.isEmpty()).map(w -> KeyValue.pair(w, w)).toList())
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .count(Materialized.as("counts"))
        .toStream()
        .to(a.get("output"), Produced.with(Serdes.String(), Serdes.Long()));

    KafkaStreams streams = new KafkaStreams(b.build(), p);
    CountDownLatch done = new CountDownLatch(1);
    int[] exit = {0};
    streams.setUncaughtExceptionHandler(e -> {
      System.out.println("thread died, replacing it: " + e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.setStateListener((now, before) -> {
      System.out.println("state " + now);
      if (now == KafkaStreams.State.ERROR) { exit[0] = 1; done.countDown(); }
      if (now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> { streams.close(Duration.ofSeconds(20)); done.countDown(); }));
    streams.start();
    done.await();
    streams.close(Duration.ofSeconds(20));
    System.exit(exit[0]);
  }
}
