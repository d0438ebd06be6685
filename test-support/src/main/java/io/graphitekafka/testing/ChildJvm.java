package io.graphitekafka.testing;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Runs a test's main class in a JVM of its own, with the test's class path, so that a test can kill
 * it abruptly; and, on the child's side, what such a main class does first and last.
 */
public final class ChildJvm {

  private ChildJvm() {}

  /**
   * A process builder for {@code java <jvmOptions> -cp <this class path> <main> <args>}; the caller
   * says where the output goes, and starts it.
   */
  public static ProcessBuilder command(Class<?> main, List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  /** Writes the settings a child reads with {@link #settings}, each value as its string. */
  public static void writeSettings(Path file, Map<?, ?> settings) throws IOException {
    Properties props = new Properties();
    settings.forEach((k, v) -> props.setProperty(String.valueOf(k), String.valueOf(v)));
    try (Writer out = Files.newBufferedWriter(file)) {
      props.store(out, null);
    }
  }

  /** In the child: the settings from the properties file its parent wrote. */
  public static Properties settings(String file) throws IOException {
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(Path.of(file))) {
      props.load(in);
    }
    return props;
  }

  /** In the child: closes the service when the process is stopped, as a service's own main does. */
  public static void closeOnShutdown(AutoCloseable service) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    service.close();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  } catch (Exception e) {
                    throw new IllegalStateException("closing " + service + " failed", e);
                  }
                },
                "close-on-shutdown"));
  }

  /** In the child: prints the line its parent waits for, at once. */
  public static void announce(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
