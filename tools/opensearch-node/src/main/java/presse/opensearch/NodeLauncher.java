package presse.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Starts one OpenSearch node bound to the loopback address, with the HTTP transport and the
 * common analysis filters (elision, stemmers, keyword_marker…) loaded from the classpath.
 *
 * <p>Options (all optional): {@code --http-port 9200 --transport-port 9300 --home var/opensearch
 * --data DIR --cluster-name presse --node-name presse-1 --seed-hosts 127.0.0.1:9300,127.0.0.1:9301
 * --initial-nodes presse-1,presse-2}. Without {@code --seed-hosts} the node forms a single-node
 * cluster. The process runs until it receives SIGTERM or SIGINT.
 */
public final class NodeLauncher {

    /** A Node whose plugins come from the classpath instead of a plugins folder. */
    static final class ClasspathNode extends Node {
        ClasspathNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    private static final List<Class<? extends Plugin>> PLUGINS =
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);

    private NodeLauncher() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        Path home = Path.of(opts.getOrDefault("home", "var/opensearch")).toAbsolutePath();
        Path data = Path.of(opts.getOrDefault("data", home.resolve("data").toString())).toAbsolutePath();
        Path logs = home.resolve("logs");
        Files.createDirectories(data);
        Files.createDirectories(logs);
        Files.createDirectories(home.resolve("config"));
        Settings settings = settings(opts, home, data, logs);

        // Console logging only: the distribution's log4j2.properties is not part of these artifacts.
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(settings.get("node.name"));
        LogConfigurator.configureWithoutConfig(settings);

        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), home.resolve("config"), () -> settings.get("node.name"));
        Node node = new ClasspathNode(environment, PLUGINS);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "presse-node-shutdown"));
        node.start();
        System.out.println("presse-opensearch-node started http=" + settings.get("http.port")
                + " transport=" + settings.get("transport.port"));
        System.out.flush();
        stopped.await();
    }

    static Settings settings(Map<String, String> opts, Path home, Path data, Path logs) {
        String nodeName = opts.getOrDefault("node-name", "presse-1");
        Settings.Builder builder = Settings.builder()
                .put("cluster.name", opts.getOrDefault("cluster-name", "presse"))
                .put("node.name", nodeName)
                .put("path.home", home.toString())
                .put("path.data", data.toString())
                .put("path.logs", logs.toString())
                .put("network.host", "127.0.0.1")
                .put("http.port", opts.getOrDefault("http-port", "9200"))
                .put("transport.port", opts.getOrDefault("transport-port", "9300"))
                .put("http.type", "netty4")
                .put("transport.type", "netty4")
                // A laptop or CI disk is often more than 90 % full: do not make indexes read-only for that.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("action.auto_create_index", false);
        String seeds = opts.get("seed-hosts");
        if (seeds == null || seeds.isBlank()) {
            builder.put("discovery.type", "single-node");
        } else {
            builder.putList("discovery.seed_hosts", Arrays.asList(seeds.split(",")));
            String initial = opts.getOrDefault("initial-nodes", nodeName);
            builder.putList("cluster.initial_cluster_manager_nodes", Arrays.asList(initial.split(",")));
        }
        return builder.build();
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + arg);
            }
            int eq = arg.indexOf('=');
            if (eq > 0) {
                opts.put(arg.substring(2, eq), arg.substring(eq + 1));
            } else if (i + 1 < args.length) {
                opts.put(arg.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("missing value for " + arg);
            }
        }
        return opts;
    }
}
