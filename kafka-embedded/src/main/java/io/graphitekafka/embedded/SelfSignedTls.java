package io.graphitekafka.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Utils;

/**
 * A throw-away TLS identity for a test broker: a self-signed certificate for one host, in a PKCS12
 * keystore for the broker and a truststore for its clients, made with the JDK's own {@code
 * keytool}.
 */
final class SelfSignedTls {

  private final Path dir;
  private final Path keystore;
  private final Path truststore;
  private final String password;

  private SelfSignedTls(Path dir, String password) {
    this.dir = dir;
    this.keystore = dir.resolve("broker.p12");
    this.truststore = dir.resolve("truststore.p12");
    this.password = password;
  }

  static SelfSignedTls create(String host) {
    try {
      SelfSignedTls tls =
          new SelfSignedTls(
              Files.createTempDirectory("embedded-kafka-tls-"), UUID.randomUUID().toString());
      Path cert = tls.dir.resolve("broker.pem");
      String san =
          "SAN=dns:localhost,ip:127.0.0.1"
              + (host.equals("127.0.0.1") || host.equals("localhost")
                  ? ""
                  : (Character.isDigit(host.charAt(0)) ? ",ip:" : ",dns:") + host);
      tls.keytool(
          "-genkeypair",
          "-alias",
          "broker",
          "-keyalg",
          "RSA",
          "-keysize",
          "2048",
          "-validity",
          "3650",
          "-dname",
          "CN=" + host,
          "-ext",
          san,
          "-keystore",
          tls.keystore.toString(),
          "-storetype",
          "PKCS12",
          "-storepass",
          tls.password,
          "-keypass",
          tls.password);
      tls.keytool(
          "-exportcert",
          "-rfc",
          "-alias",
          "broker",
          "-keystore",
          tls.keystore.toString(),
          "-storepass",
          tls.password,
          "-file",
          cert.toString());
      tls.keytool(
          "-importcert",
          "-noprompt",
          "-alias",
          "broker",
          "-file",
          cert.toString(),
          "-keystore",
          tls.truststore.toString(),
          "-storetype",
          "PKCS12",
          "-storepass",
          tls.password);
      return tls;
    } catch (IOException e) {
      throw new UncheckedIOException("could not make a TLS certificate for the broker", e);
    }
  }

  Map<String, String> brokerProperties() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("ssl.keystore.location", keystore.toString());
    props.put("ssl.keystore.type", "PKCS12");
    props.put("ssl.keystore.password", password);
    props.put("ssl.key.password", password);
    return props;
  }

  Map<String, Object> clientProperties() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("ssl.truststore.location", truststore.toString());
    props.put("ssl.truststore.type", "PKCS12");
    props.put("ssl.truststore.password", password);
    return props;
  }

  void delete() {
    try {
      Utils.delete(dir.toFile());
    } catch (IOException e) {
      // a temp dir left behind is harmless
    }
  }

  private void keytool(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool " + args[0] + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running keytool", e);
    }
  }
}
