package odradek.eos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** `--name value` pairs (a flag may repeat; a flag without a value is "true"). */
final class Args {
  private final Map<String, List<String>> values = new HashMap<>();

  Args(String[] argv) {
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a);
      String v = i + 1 < argv.length && !argv[i + 1].startsWith("--") ? argv[++i] : "true";
      values.computeIfAbsent(a.substring(2), k -> new ArrayList<>()).add(v);
    }
  }

  String get(String name) {
    List<String> v = values.get(name);
    if (v == null) throw new IllegalArgumentException("--" + name + " is required");
    return v.get(v.size() - 1);
  }

  String get(String name, String dflt) {
    List<String> v = values.get(name);
    return v == null ? dflt : v.get(v.size() - 1);
  }

  List<String> all(String name) {
    return values.getOrDefault(name, List.of());
  }

  boolean has(String name) {
    return values.containsKey(name);
  }
}
