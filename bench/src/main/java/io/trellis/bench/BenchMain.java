package io.trellis.bench;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.trellis.bench.client.ClientSettings;
import io.trellis.bench.client.Role;
import io.trellis.bench.stats.Summary;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code trellis bench}: an MQTT load generator on Netty, modelled on emqtt-bench.
 *
 * <pre>
 * bench pub    -c 10 -I 0 -t bench/%i -s 64 -d 10s      publishers, as fast as possible
 * bench sub    -c 1 -t 'bench/#'                        subscribers, measure latency
 * bench conn   -c 10000 --connrate 2000 -d 60s           idle connections
 * bench pubsub -c 10 --subs 1 -I 0 -d 10s                fan-in, publishers and subscribers in one process
 * bench pubsub -c 1 --subs 100 -t bench/fan -R 1000      fan-out
 * </pre>
 */
@Command(name = "bench", description = "MQTT load generator (publishers, subscribers, idle connections).",
        subcommands = {BenchMain.Pub.class, BenchMain.Sub.class, BenchMain.Conn.class, BenchMain.PubSub.class},
        synopsisSubcommandLabel = "pub | sub | conn | pubsub")
public final class BenchMain implements Runnable {
    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    /** The outcome of one command line: exit code and, when a run happened, its summary. */
    public record Result(int exitCode, Summary summary) {
    }

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args).exitCode());
    }

    /** Runs a command line, printing progress and the summary to out (progress to err with --json). */
    public static Result run(PrintStream out, PrintStream err, String... args) {
        BenchMain main = new BenchMain();
        CommandLine cl = new CommandLine(main);
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        Summary[] summary = new Summary[1];
        cl.setExecutionStrategy(parsed -> {
            List<CommandLine> commands = parsed.asCommandLineList();
            Object cmd = commands.get(commands.size() - 1).getCommand();
            if (cmd instanceof Scenario scenario) {
                scenario.out = out;
                scenario.err = err;
                int code = new CommandLine.RunLast().execute(parsed);
                summary[0] = scenario.summary;
                return code;
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        int code = cl.execute(args);
        return new Result(code, summary[0]);
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a scenario: pub, sub, conn or pubsub");
    }

    /** Options every scenario shares: where, how and as whom to connect, and when to stop. */
    static final class Common {
        @Option(names = {"-h", "--host"}, defaultValue = "localhost", description = "Broker host (default: ${DEFAULT-VALUE}).")
        String host;
        @Option(names = {"-p", "--port"}, description = "Broker port (default: 1883, or 8883 with --ssl).")
        Integer port;
        @Option(names = {"-c", "--connections"}, defaultValue = "1", description = "Connections (default: 1; in pubsub the publishers, default 10).")
        int connections;
        @Option(names = {"-V", "--mqtt-version"}, defaultValue = "5", description = "MQTT version: 3 (3.1), 4 (3.1.1) or 5 (default: ${DEFAULT-VALUE}).")
        int version;
        @Option(names = {"-q", "--qos"}, defaultValue = "0", description = "QoS of publishes and subscriptions: 0, 1 or 2 (default: ${DEFAULT-VALUE}).")
        int qos;
        @Option(names = "--inflight", defaultValue = "1", description = "Unacknowledged QoS 1/2 publishes per connection, 0 = no limit (default: ${DEFAULT-VALUE}, as emqtt-bench).")
        int inflight;
        @Option(names = {"-u", "--username"}, description = "MQTT user name.")
        String username;
        @Option(names = {"-P", "--password"}, description = "MQTT password.")
        String password;
        @Option(names = {"-k", "--keepalive"}, defaultValue = "300", description = "Keepalive seconds, 0 = off (default: ${DEFAULT-VALUE}).")
        int keepalive;
        @Option(names = "--prefix", description = "Client id prefix (default: bench-<pid>-); ids are <prefix><kind>-<seq>.")
        String prefix;
        @Option(names = "--connrate", defaultValue = "0", description = "New connections per second, 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
        double connrate;
        @Option(names = {"-d", "--duration"}, defaultValue = "0", converter = DurationConverter.class,
                description = "Stop this long after all connections are up (10, 10s, 2m, 500ms), 0 = until Ctrl-C or --count.")
        Duration duration;
        @Option(names = "--warmup", defaultValue = "0", converter = DurationConverter.class,
                description = "Publish this long before measuring; left out of the summary (default: 0).")
        Duration warmup;
        @Option(names = "--ssl", description = "Connect with TLS.")
        boolean ssl;
        @Option(names = "--cafile", description = "PEM CA bundle to verify the broker with (default: the JDK's trust store).")
        File cafile;
        @Option(names = "--insecure", description = "With --ssl: do not verify the broker's certificate.")
        boolean insecure;
        @Option(names = "--json", description = "Print the summary as one JSON object on stdout (progress goes to stderr).")
        boolean json;

        ClientSettings settings(CommandLine cl) {
            if (connections < 1) {
                throw new ParameterException(cl, "-c/--connections must be at least 1, got " + connections);
            }
            MqttVersion v = switch (version) {
                case 3 -> MqttVersion.MQTT_3_1;
                case 4 -> MqttVersion.MQTT_3_1_1;
                case 5 -> MqttVersion.MQTT_5;
                default -> throw new ParameterException(cl, "-V/--mqtt-version must be 3, 4 or 5, got " + version);
            };
            if (qos < 0 || qos > 2) {
                throw new ParameterException(cl, "-q/--qos must be 0, 1 or 2, got " + qos);
            }
            if (inflight < 0 || inflight > 65535) {
                throw new ParameterException(cl, "--inflight must be 0..65535, got " + inflight);
            }
            if (keepalive < 0 || keepalive > 65535) {
                throw new ParameterException(cl, "-k/--keepalive must be 0..65535 seconds, got " + keepalive);
            }
            if (connrate < 0) {
                throw new ParameterException(cl, "--connrate must be 0 (unlimited) or positive, got " + connrate);
            }
            if ((cafile != null || insecure) && !ssl) {
                throw new ParameterException(cl, "--cafile and --insecure only apply with --ssl; add --ssl");
            }
            if (cafile != null && insecure) {
                throw new ParameterException(cl, "--cafile and --insecure contradict each other; use one");
            }
            if (cafile != null && !cafile.canRead()) {
                throw new ParameterException(cl, "--cafile " + cafile + " does not exist or is not readable");
            }
            int p = port != null ? port : ssl ? 8883 : 1883;
            if (p < 1 || p > 65535) {
                throw new ParameterException(cl, "-p/--port must be 1..65535, got " + p);
            }
            return new ClientSettings(host, p, v, ssl ? sslContext(cl) : null, username,
                    password == null ? null : password.getBytes(StandardCharsets.UTF_8), keepalive,
                    MqttQoS.valueOf(qos), inflight);
        }

        private SslContext sslContext(CommandLine cl) {
            try {
                SslContextBuilder b = SslContextBuilder.forClient()
                        .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                        .protocols("TLSv1.3", "TLSv1.2");
                if (insecure) {
                    b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
                } else {
                    if (cafile != null) {
                        b.trustManager(cafile);
                    }
                    b.endpointIdentificationAlgorithm("HTTPS");
                }
                return b.build();
            } catch (SSLException | IllegalArgumentException e) {
                throw new ParameterException(cl, "--cafile " + cafile + ": cannot be used as a PEM CA bundle ("
                        + e.getMessage() + ")");
            }
        }

        String prefix() {
            return prefix != null ? prefix : "bench-" + ProcessHandle.current().pid() + "-";
        }
    }

    /** Publisher options shared by pub and pubsub. */
    static final class PublishOptions {
        @Option(names = {"-I", "--interval"}, description = "Milliseconds between publishes per connection, 0 = as fast as possible (default: 1000).")
        Double intervalMs;
        @Option(names = {"-R", "--rate"}, description = "Total publishes per second over all publishers (instead of -I).")
        Double rate;
        @Option(names = {"-s", "--size"}, defaultValue = "256", description = "Payload bytes, at least 8 to measure latency (default: ${DEFAULT-VALUE}).")
        int size;
        @Option(names = "--count", defaultValue = "0", description = "Messages per publisher, then stop; 0 = until -d or Ctrl-C.")
        long count;

        long intervalNanos(CommandLine cl, int publishers) {
            if (intervalMs != null && rate != null) {
                throw new ParameterException(cl, "give either -I/--interval (per connection) or -R/--rate (total), not both");
            }
            if (size < 0 || size > 256 * 1024 * 1024) {
                throw new ParameterException(cl, "-s/--size must be 0..268435456 bytes, got " + size);
            }
            if (count < 0) {
                throw new ParameterException(cl, "--count must be 0 (no limit) or positive, got " + count);
            }
            if (rate != null) {
                if (rate <= 0) {
                    throw new ParameterException(cl, "-R/--rate must be positive, got " + rate);
                }
                return Math.max(1, Math.round(publishers * 1e9 / rate));
            }
            double ms = intervalMs == null ? 1000 : intervalMs;
            if (ms < 0) {
                throw new ParameterException(cl, "-I/--interval must be 0 (as fast as possible) or positive, got " + ms);
            }
            return Math.round(ms * 1e6);
        }
    }

    /** A scenario command: builds the connection groups, runs, prints the summary. */
    abstract static class Scenario implements Callable<Integer> {
        @Option(names = "--help", usageHelp = true, description = "Show this help.")
        boolean help;
        @Mixin
        Common common;
        @Spec
        CommandSpec spec;
        PrintStream out = System.out;
        PrintStream err = System.err;
        Summary summary;

        abstract String mode();

        abstract List<BenchRun.Group> groups(CommandLine cl, ClientSettings settings);

        @Override
        public Integer call() throws Exception {
            CommandLine cl = spec.commandLine();
            ClientSettings settings = common.settings(cl);
            List<BenchRun.Group> groups = groups(cl, settings);
            PrintStream progress = common.json ? err : out;
            BenchRun run = new BenchRun(mode(), settings, groups, common.connrate, common.duration, common.warmup,
                    progress);
            // Ctrl-C or SIGTERM ends the run early; the JVM waits for the hook, so the summary still comes.
            CountDownLatch printed = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                run.requestStop();
                try {
                    printed.await(15, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                summary = run.run();
                out.print(common.json ? summary.toJson() + System.lineSeparator() : summary.toText());
                out.flush();
            } finally {
                printed.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is already running
                }
            }
            return summary.connected() == 0 ? 1 : 0;
        }

        String id(String kind, int seq) {
            return common.prefix() + kind + "-" + seq;
        }

        /** %i = the client's sequence number, %c = its client id. */
        static String expand(String template, int seq, String clientId) {
            return template.replace("%i", Integer.toString(seq)).replace("%c", clientId);
        }
    }

    @Command(name = "pub", description = "Publishers: -c connections publishing to -t every -I ms (or -R msg/s in total).")
    static final class Pub extends Scenario {
        @Mixin
        PublishOptions publish;
        @Option(names = {"-t", "--topic"}, required = true, description = "Topic; %%i = client seq, %%c = client id.")
        String topic;

        @Override
        String mode() {
            return "pub";
        }

        @Override
        List<BenchRun.Group> groups(CommandLine cl, ClientSettings settings) {
            long interval = publish.intervalNanos(cl, common.connections);
            return List.of(new BenchRun.Group("pub", common.connections, i -> id("pub", i),
                    i -> new Role.Publisher(expand(topic, i, id("pub", i)), publish.size, interval, publish.count)));
        }
    }

    @Command(name = "sub", description = "Subscribers: -c connections subscribed to -t; reports receive rate and latency.")
    static final class Sub extends Scenario {
        @Option(names = {"-t", "--topic"}, required = true, description = "Topic filter; %%i = client seq, %%c = client id.")
        String topic;

        @Override
        String mode() {
            return "sub";
        }

        @Override
        List<BenchRun.Group> groups(CommandLine cl, ClientSettings settings) {
            return List.of(new BenchRun.Group("sub", common.connections, i -> id("sub", i),
                    i -> new Role.Subscriber(expand(topic, i, id("sub", i)))));
        }
    }

    @Command(name = "conn", description = "Idle connections: opens -c connections and holds them for -d (or until Ctrl-C).")
    static final class Conn extends Scenario {
        @Override
        String mode() {
            return "conn";
        }

        @Override
        List<BenchRun.Group> groups(CommandLine cl, ClientSettings settings) {
            return List.of(new BenchRun.Group("conn", common.connections, i -> id("conn", i), i -> new Role.Idle()));
        }
    }

    @Command(name = "pubsub", description = {
        "Publishers and subscribers in one process, for end-to-end latency.",
        "-c publishers publish to -t; --subs subscribers subscribe to --sub-topic (default: -t with each level"
                + " holding %%i or %%c replaced by '+', so every subscriber gets every message).",
        "Fan-in (default): -c 10 --subs 1 -t bench/%%i.  Fan-out: -c 1 --subs 100 -t bench/fanout."})
    static final class PubSub extends Scenario {
        @Mixin
        PublishOptions publish;
        @Option(names = {"-t", "--topic"}, defaultValue = "bench/%i", description = "Publish topic (default: ${DEFAULT-VALUE}).")
        String topic;
        @Option(names = "--subs", defaultValue = "1", description = "Subscribers (default: ${DEFAULT-VALUE}).")
        int subs;
        @Option(names = "--sub-topic", description = "Subscription filter (default: derived from -t).")
        String subTopic;

        @Override
        String mode() {
            return "pubsub";
        }

        @Override
        List<BenchRun.Group> groups(CommandLine cl, ClientSettings settings) {
            if (subs < 1) {
                throw new ParameterException(cl, "--subs must be at least 1, got " + subs);
            }
            if (!cl.getParseResult().hasMatchedOption("-c")) {
                common.connections = 10; // -c defaults to 1 elsewhere; the fan-in shape wants 10 publishers
            }
            long interval = publish.intervalNanos(cl, common.connections);
            String filter = subTopic != null ? subTopic : wildcardFilter(topic);
            List<BenchRun.Group> groups = new ArrayList<>();
            groups.add(new BenchRun.Group("sub", subs, i -> id("sub", i), i -> new Role.Subscriber(filter)));
            groups.add(new BenchRun.Group("pub", common.connections, i -> id("pub", i),
                    i -> new Role.Publisher(expand(topic, i, id("pub", i)), publish.size, interval, publish.count)));
            return groups;
        }

        static String wildcardFilter(String topic) {
            String[] levels = topic.split("/", -1);
            for (int i = 0; i < levels.length; i++) {
                if (levels[i].contains("%i") || levels[i].contains("%c")) {
                    levels[i] = "+";
                }
            }
            return String.join("/", levels);
        }
    }

    /** 10 = seconds; also 10s, 2m, 1h, 500ms. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            try {
                if (v.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                }
                char unit = v.charAt(v.length() - 1);
                if (Character.isDigit(unit)) {
                    return Duration.ofSeconds(Long.parseLong(v));
                }
                long n = Long.parseLong(v.substring(0, v.length() - 1));
                return switch (unit) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> throw new CommandLine.TypeConversionException("bad unit");
                };
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("'" + value
                        + "' is not a duration: use seconds (10) or a number with ms, s, m or h (500ms, 10s, 2m)");
            }
        }
    }
}
