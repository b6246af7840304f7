import java.util.HashMap;
import java.util.Map;

// Prints the iteration order of java.util.HashMap for the maps the Guardian
// SDK builds, one line per map: each map is given on the command line as
// "initialCapacity:key1,key2,…" (initialCapacity 0 for new HashMap<>()),
// keys put in that order. Also prints String.hashCode of each key.
public class HashMapOrder {
    public static void main(String[] args) {
        for (String arg : args) {
            String[] parts = arg.split(":", 2);
            int initial = Integer.parseInt(parts[0]);
            Map<String, Object> m = initial == 0 ? new HashMap<>() : new HashMap<>(initial);
            StringBuilder hashes = new StringBuilder();
            for (String k : parts[1].split(",")) {
                m.put(k, "");
                hashes.append(k.hashCode()).append(' ');
            }
            System.out.println(String.join(",", m.keySet()) + " " + hashes.toString().trim());
        }
    }
}
