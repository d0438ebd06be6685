package io.graphitekafka.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft combined mode (broker and controller in one process),
 * run in-process from Apache Kafka's own server classes. It backs the integration tests and the
 * {@code standalone} launcher; see this module's README for the settings it chooses and why.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
  private static final long POLL_INTERVAL_MS = 100;

  private final String host;
  private final int requestedPort;
  private final Path requestedLogDir;
  private final Map<String, String> overrides;
  private final String scramUser;
  private final String scramPassword;

  // Resolved on the first start and kept, so that a restart comes back on the same addresses and
  // data.
  private int port;
  private int controllerPort;
  private int internalPort;
  private Path logDir;
  private SelfSignedTls tls;
  private KafkaRaftServer server;
  private boolean closed;

  private EmbeddedKafkaBroker(Builder builder) {
    this.host = builder.host;
    this.requestedPort = builder.port;
    this.requestedLogDir = builder.logDir;
    this.overrides = Map.copyOf(builder.brokerProperties);
    this.scramUser = builder.scramUser;
    this.scramPassword = builder.scramPassword;
  }

  private boolean secure() {
    return scramUser != null;
  }

  /** Starts a builder with the defaults: a free port on 127.0.0.1 and a temporary log directory. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Formats the log directory if it has never been formatted, starts the broker, and returns once
   * it answers a client's {@code describeCluster}. Does nothing if the broker is already running.
   */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("broker was closed");
    }
    if (server != null) {
      return;
    }
    long startNanos = System.nanoTime();
    resolveAddressesAndStorage();
    KafkaConfig config =
        new KafkaConfig(
            KRaftNode.serverProperties(
                host, port, controllerPort, internalPort, logDir, secure() ? tls : null, overrides),
            false);
    KRaftNode.formatIfNeeded(logDir);
    KafkaRaftServer starting = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      starting.startup();
      server = starting;
      if (secure()) {
        awaitAdmin(newInternalAdmin());
        createScramUser();
      }
      awaitAdmin(newAdmin());
    } catch (RuntimeException e) {
      server = null;
      shutdownQuietly(starting);
      throw e;
    }
    LOG.info(
        "Kafka broker listening at {} (log dir {}), started in {} ms",
        bootstrapServers(),
        logDir,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
  }

  /** The {@code host:port} of the client listener, fixed from the first {@link #start()} on. */
  public synchronized String bootstrapServers() {
    if (port == 0) {
      throw new IllegalStateException("broker has not been started");
    }
    return host + ":" + port;
  }

  /**
   * The settings a Kafka client needs to connect to {@link #bootstrapServers()}: empty for a
   * plaintext broker; for a SASL/SCRAM-over-TLS broker the security protocol, the SCRAM login and a
   * truststore holding the broker's self-signed certificate.
   */
  public synchronized Map<String, Object> clientProperties() {
    if (!secure()) {
      return Map.of();
    }
    if (tls == null) {
      throw new IllegalStateException("broker has not been started");
    }
    Map<String, Object> props = new LinkedHashMap<>(tls.clientProperties());
    props.put("security.protocol", "SASL_SSL");
    props.put("sasl.mechanism", KRaftNode.SCRAM_MECHANISM);
    props.put("sasl.jaas.config", scramJaas(scramUser, scramPassword));
    return props;
  }

  /** A JAAS line for a SCRAM login, as clients put it in {@code sasl.jaas.config}. */
  public static String scramJaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  /** The directory holding the broker's data and metadata log, or null before the first start. */
  public synchronized Path logDir() {
    return logDir;
  }

  /** True between a successful {@link #start()} and the next {@link #stop()}. */
  public synchronized boolean isRunning() {
    return server != null;
  }

  /**
   * Creates the topics with replication factor 1, treating an existing topic as success, and
   * returns once every partition of every topic has a leader.
   */
  public void createTopics(int partitions, String... names) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be positive, was " + partitions);
    }
    List<NewTopic> topics = new ArrayList<>();
    for (String name : names) {
      topics.add(new NewTopic(Objects.requireNonNull(name, "topic name"), partitions, (short) 1));
    }
    if (topics.isEmpty()) {
      return;
    }
    try (Admin admin = newAdmin()) {
      for (Map.Entry<String, KafkaFuture<Void>> created :
          admin.createTopics(topics).values().entrySet()) {
        try {
          created.getValue().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("could not create topic " + created.getKey(), e);
          }
          LOG.debug("Topic {} exists already", created.getKey());
        }
      }
      awaitLeaders(admin, Arrays.asList(names));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating topics " + Arrays.toString(names), e);
    }
  }

  /**
   * Stops the broker and waits until its threads and sockets are released; the log directory and
   * the ports are kept for a later {@link #start()}. Does nothing if the broker is not running.
   */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    long stopNanos = System.nanoTime();
    KafkaRaftServer stopping = server;
    server = null;
    stopping.shutdown();
    stopping.awaitShutdown();
    LOG.info(
        "Kafka broker at {} stopped in {} ms",
        bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopNanos));
  }

  /** Stops and starts the broker on the same ports and log directory, keeping its data. */
  public synchronized void restart() {
    stop();
    start();
  }

  /**
   * Stops the broker and, when the log directory was a temporary one, deletes it. Safe to call more
   * than once; a closed broker cannot be started again.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stop();
    } finally {
      if (tls != null) {
        tls.delete();
      }
      if (requestedLogDir == null && logDir != null) {
        try {
          Utils.delete(logDir.toFile());
        } catch (IOException e) {
          LOG.warn("Could not delete temporary Kafka log dir {}", logDir, e);
        }
      }
    }
  }

  private void resolveAddressesAndStorage() {
    try {
      if (logDir == null) {
        logDir =
            requestedLogDir != null
                ? Files.createDirectories(requestedLogDir)
                : Files.createTempDirectory("embedded-kafka-");
      }
      if (port == 0) {
        port = requestedPort != 0 ? requestedPort : freePort(host);
      }
      if (controllerPort == 0) {
        controllerPort = freePort(host);
      }
      if (secure() && internalPort == 0) {
        internalPort = freePort("127.0.0.1");
      }
      if (secure() && tls == null) {
        tls = SelfSignedTls.create(host);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not prepare broker storage or ports", e);
    }
  }

  /** Waits until {@code admin} (closed here) gets an answer from the broker. */
  private void awaitAdmin(Admin client) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try (Admin admin = client) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "Kafka broker at "
                    + bootstrapServers()
                    + " did not accept clients within "
                    + START_TIMEOUT,
                e);
          }
        }
        Thread.sleep(POLL_INTERVAL_MS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the broker to start", e);
    }
  }

  private static void awaitLeaders(Admin admin, List<String> names)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> descriptions =
            admin.describeTopics(names).allTopicNames().get(5, TimeUnit.SECONDS);
        if (descriptions.values().stream()
            .flatMap(d -> d.partitions().stream())
            .map(TopicPartitionInfo::leader)
            .allMatch(leader -> leader != null && !leader.isEmpty())) {
          return;
        }
      } catch (ExecutionException | TimeoutException e) {
        // Metadata for a just-created topic can lag behind; retry until the deadline.
        LOG.debug("Topics {} not described yet: {}", names, e.toString());
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(
            "partitions of " + names + " have no leader after " + ADMIN_TIMEOUT);
      }
      Thread.sleep(POLL_INTERVAL_MS);
    }
  }

  /** Creates the SCRAM user clients log in as; the broker's metadata carries it to the listener. */
  private void createScramUser() {
    try (Admin admin = newInternalAdmin()) {
      admin
          .alterUserScramCredentials(
              List.of(
                  new UserScramCredentialUpsertion(
                      scramUser,
                      new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                      scramPassword)))
          .all()
          .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating the SCRAM user", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("could not create SCRAM user " + scramUser, e);
    }
  }

  /** An admin over the loopback plaintext listener of a secure broker. */
  private Admin newInternalAdmin() {
    return newAdmin("127.0.0.1:" + internalPort, Map.of());
  }

  private Admin newAdmin() {
    return secure()
        ? newAdmin(bootstrapServers(), clientProperties())
        : newAdmin(bootstrapServers(), Map.of());
  }

  private static Admin newAdmin(String bootstrap, Map<String, Object> security) {
    Map<String, Object> config = new LinkedHashMap<>(security);
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    config.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100);
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-admin");
    return Admin.create(config);
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static void shutdownQuietly(KafkaRaftServer failed) {
    try {
      failed.shutdown();
      failed.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Error while shutting down a broker that failed to start", e);
    }
  }

  /** Collects the options of an {@link EmbeddedKafkaBroker}; {@link #build()} does not start it. */
  public static final class Builder {

    private int port;
    private String host = "127.0.0.1";
    private Path logDir;
    private final Map<String, String> brokerProperties = new LinkedHashMap<>();
    private String scramUser;
    private String scramPassword;

    private Builder() {}

    /**
     * Serves clients over SASL_SSL only: SCRAM-SHA-512 with this one user, and TLS with a
     * self-signed certificate for {@code host}. {@link EmbeddedKafkaBroker#clientProperties()}
     * gives what a client needs to connect.
     */
    public Builder saslScram(String user, String password) {
      this.scramUser = Objects.requireNonNull(user, "user");
      this.scramPassword = Objects.requireNonNull(password, "password");
      return this;
    }

    /** The client port; 0 (the default) picks a free one on the first start. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be within [0, 65535], was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The address both listeners bind to and the client listener advertises; 127.0.0.1 by default.
     */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /**
     * A log directory that outlives the broker and is re-used, without re-formatting, on the next
     * start. Without one the broker uses a temporary directory deleted on {@link #close()}.
     */
    public Builder logDir(Path logDir) {
      this.logDir = Objects.requireNonNull(logDir, "logDir");
      return this;
    }

    /** Sets a server property, overriding this class's choice for the same key. */
    public Builder brokerProperty(String key, String value) {
      brokerProperties.put(
          Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    public EmbeddedKafkaBroker build() {
      return new EmbeddedKafkaBroker(this);
    }
  }
}
