package io.trellis.mqtt.topic;

import java.util.Random;

/** Random topic names and filters over a small alphabet, so that matches are frequent. */
final class TopicGen {
    private static final String[] LEVELS = {"a", "b", "c", "", "$SYS", "$x", "dev"};

    private final Random random;

    TopicGen(Random random) {
        this.random = random;
    }

    String topic() {
        int depth = 1 + random.nextInt(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            if (i > 0) sb.append('/');
            sb.append(level(i));
        }
        // A one-level topic made of the empty level would be the empty (invalid) name.
        return sb.length() == 0 ? "a" : sb.toString();
    }

    String filter() {
        int depth = 1 + random.nextInt(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            if (i > 0) sb.append('/');
            int pick = random.nextInt(10);
            if (pick < 3) {
                sb.append('+');
            } else if (pick < 4 && i == depth - 1) {
                sb.append('#');
            } else {
                sb.append(level(i));
            }
        }
        return sb.length() == 0 ? "+" : sb.toString();
    }

    private String level(int index) {
        String level = LEVELS[random.nextInt(LEVELS.length)];
        // '$' levels mostly at the start, where the MQTT 4.7.2 rule applies.
        return index > 0 && level.startsWith("$") && random.nextBoolean() ? "b" : level;
    }
}
