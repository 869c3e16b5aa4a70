package odradek.eos;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The word count's input: --lines lines of 1 to 12 words drawn (seeded, so every run is the same)
 * from --words words `w000`…, produced with the idempotent producer (acks=all), and the exact count
 * of each word written to --counts as `word<TAB>count` (the checker's --final-counts file).
 *
 *   WordInput --bootstrap B --topic T --lines N --words W --counts FILE
 */
public final class WordInput {
  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv);
    int lines = Integer.parseInt(a.get("lines"));
    int words = Integer.parseInt(a.get("words"));
    Random rnd = new Random(16);
    Map<String, Long> counts = new TreeMap<>();
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
    try (KafkaProducer<String, String> prod = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < lines; i++) {
        StringBuilder line = new StringBuilder();
        int n = 1 + rnd.nextInt(12);
        for (int j = 0; j < n; j++) {
          String w = String.format("w%03d", rnd.nextInt(words));
          counts.merge(w, 1L, Long::sum);
          if (j > 0) line.append(' ');
          line.append(w);
        }
        prod.send(new ProducerRecord<>(a.get("topic"), "line-" + i, line.toString()));
      }
      prod.flush();
    }
    Files.writeString(Path.of(a.get("counts")), counts.entrySet().stream().map(e -> e.getKey() + "\t" + e.getValue() + "\n").collect(Collectors.joining()), StandardCharsets.UTF_8);
    System.out.println("produced " + lines + " lines, " + counts.values().stream().mapToLong(Long::longValue).sum() + " words");
  }
}
