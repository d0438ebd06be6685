package io.graphitekafka.whisper;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * Drives python3-whisper through {@code golden/reference-driver.py}, one long-lived process for all
 * requests, and skips the tests that need it when {@code /usr/bin/python3} cannot import whisper.
 */
final class ReferenceWhisper {

  static final String PYTHON = "/usr/bin/python3";
  private static Boolean available;
  private static Process process;
  private static BufferedWriter in;
  private static BufferedReader out;

  private ReferenceWhisper() {}

  /** Whether {@code /usr/bin/python3 -c "import whisper"} succeeds. */
  static synchronized boolean available() {
    if (available == null) {
      try {
        Process p =
            new ProcessBuilder(PYTHON, "-c", "import whisper").redirectErrorStream(true).start();
        available = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
      } catch (IOException e) {
        available = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        available = false;
      }
    }
    return available;
  }

  /** Sends one request line (see the driver's docstring) and returns the answer line. */
  static synchronized String apply(String request) throws IOException {
    if (process == null) {
      Path driver;
      try {
        driver =
            Path.of(
                ReferenceWhisper.class
                    .getClassLoader()
                    .getResource("golden/reference-driver.py")
                    .toURI());
      } catch (URISyntaxException e) {
        throw new IOException(e);
      }
      process =
          new ProcessBuilder(PYTHON, driver.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      in =
          new BufferedWriter(
              new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
      out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
    }
    in.write(request);
    in.write('\n');
    in.flush();
    String answer = out.readLine();
    if (answer == null) {
      throw new IOException("reference driver exited");
    }
    return answer;
  }

  /** Skips a container when the reference implementation is missing. */
  static final class Required implements SkipExecutionHook {
    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
      return available()
          ? SkipResult.doNotSkip()
          : SkipResult.skip(
              PYTHON
                  + " cannot import whisper (install python3-whisper);"
                  + " skipping the differential tests against the reference implementation");
    }
  }
}
