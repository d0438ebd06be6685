package io.graphitekafka.standalone;

import io.graphitekafka.testing.ChildProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Graphite's own front end, graphite-web under gunicorn with the settings in {@code
 * deploy/graphite-web}, as the tests that compare with it start it: its database made, then served
 * on a loopback port.
 */
final class GraphiteWeb {

  private GraphiteWeb() {}

  /** Whether graphite-web and gunicorn are installed (Debian packages graphite-web, gunicorn). */
  static boolean installed() {
    return Files.isExecutable(Path.of("/usr/bin/gunicorn"))
        && Files.isDirectory(Path.of("/usr/lib/python3/dist-packages/graphite"));
  }

  /**
   * Makes graphite-web's database in {@code storage} for files under {@code whisperDir}, and
   * returns the process builder that serves it on {@code port}; {@code settings} are more
   * environment settings, say {@code GRAPHITE_CLUSTER_SERVERS}.
   */
  static ProcessBuilder prepare(
      Path home, Path storage, Path whisperDir, int port, Map<String, String> settings)
      throws IOException, InterruptedException {
    Files.createDirectories(storage);
    Files.createDirectories(whisperDir);
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "PYTHONPATH", home.resolve("deploy/graphite-web").toString(),
                "GRAPHITE_SETTINGS_MODULE", "local_settings",
                "GRAPHITE_STORAGE_DIR", storage.toString(),
                "GRAPHITE_LOG_DIR", storage.toString(),
                "GRAPHITE_WHISPER_DIR", whisperDir.toString()));
    env.putAll(settings);
    ProcessBuilder migrate =
        new ProcessBuilder(
            "/usr/bin/python3",
            "/usr/bin/django-admin",
            "migrate",
            "--settings=graphite.settings",
            "--run-syncdb",
            "--noinput");
    migrate.environment().putAll(env);
    ChildProcesses.run(migrate, Duration.ofSeconds(120));
    ProcessBuilder serve =
        new ProcessBuilder(
                "/usr/bin/python3",
                "/usr/bin/gunicorn",
                "--bind",
                "127.0.0.1:" + port,
                "--workers",
                "1",
                "graphite.wsgi:application")
            .redirectErrorStream(true);
    serve.environment().putAll(env);
    return serve;
  }
}
