package io.graphitekafka.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Child processes of a test (the launcher's script, a Python reference, a tool): whether a program
 * runs at all, the launcher's command line, and reading a started one's output until it says it is
 * ready.
 */
public final class ChildProcesses {

  /** How many of the last output lines a failure message shows. */
  private static final int LOG_LINES = 200;

  private ChildProcesses() {}

  /**
   * Whether the command runs and exits with 0 within 30 seconds, say {@code python3 -c "import
   * whisper"}: a test that needs the program is skipped where it is missing.
   */
  public static boolean succeeds(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Runs the command to its end, for at most {@code timeout}, and returns its output and errors;
   * fails with them unless it exits with 0.
   */
  public static String run(ProcessBuilder command, Duration timeout)
      throws IOException, InterruptedException {
    Process p = command.redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          command.command() + " still running after " + timeout + ":\n" + output);
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(
          command.command() + " exited with " + p.exitValue() + ":\n" + output);
    }
    return output;
  }

  /**
   * A process builder for the project's {@code bin/graphite-kafka} below {@code home} with the
   * arguments: it runs the jars already built ({@code GRAPHITE_KAFKA_NO_BUILD}) with the JVM
   * options given ({@code GRAPHITE_KAFKA_OPTS}, the script's own if empty), errors merged into the
   * output.
   */
  public static ProcessBuilder launcher(Path home, String jvmOptions, String... args) {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/graphite-kafka").toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("GRAPHITE_KAFKA_NO_BUILD", "1");
    if (!jvmOptions.isEmpty()) {
      builder.environment().put("GRAPHITE_KAFKA_OPTS", jvmOptions);
    }
    return builder;
  }

  /**
   * Copies every line the process prints to {@code output} (each with {@code prefix} before it) on
   * a daemon thread, and waits until a line is {@code ready}; fails with the recent output if the
   * process exits first or {@code timeout} passes. Returns the thread, which ends with the output.
   */
  public static Thread awaitReady(
      String name,
      Process process,
      List<String> output,
      String prefix,
      Predicate<String> ready,
      Duration timeout) {
    CompletableFuture<Void> seen = new CompletableFuture<>();
    Thread reader = copyOutput(name, process, output, prefix, ready, seen);
    try {
      seen.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return reader;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(name + " never printed ready: interrupted");
    } catch (Exception e) {
      throw new AssertionError(name + " never printed ready: " + e + "\n" + recent(output));
    }
  }

  /**
   * Copies every line the process prints to {@code output} on a daemon thread; waits for nothing.
   */
  public static Thread copyOutput(
      String name, Process process, List<String> output, String prefix) {
    return copyOutput(name, process, output, prefix, line -> false, new CompletableFuture<>());
  }

  private static Thread copyOutput(
      String name,
      Process process,
      List<String> output,
      String prefix,
      Predicate<String> ready,
      CompletableFuture<Void> seen) {
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  output.add(prefix + line);
                  if (ready.test(line)) {
                    seen.complete(null);
                  }
                }
              } catch (IOException e) {
                // the process is gone
              }
              seen.completeExceptionally(new IllegalStateException(name + " exited"));
            },
            "output-" + name);
    reader.setDaemon(true);
    reader.start();
    return reader;
  }

  /** The last lines of {@code output}, for a failure message. */
  public static String recent(List<String> output) {
    synchronized (output) {
      return String.join(
          "\n", output.subList(Math.max(0, output.size() - LOG_LINES), output.size()));
    }
  }
}
