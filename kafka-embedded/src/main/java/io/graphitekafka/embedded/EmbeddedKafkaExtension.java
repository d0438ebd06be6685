package io.graphitekafka.embedded;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that injects one {@link EmbeddedKafkaBroker} per test JVM, started on first use
 * and shared by every test class that registers the extension. The broker lives in the root
 * context's store, so JUnit closes it when the whole run ends.
 */
public final class EmbeddedKafkaExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(EmbeddedKafkaExtension.class);
  private static final String BROKER_KEY = "broker";

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext context) {
    return parameterContext.getParameter().getType() == EmbeddedKafkaBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext context) {
    return sharedBroker(context);
  }

  /** The broker shared by all tests of this JVM, started if this is its first use. */
  public static EmbeddedKafkaBroker sharedBroker(ExtensionContext context) {
    // The root store closes AutoCloseable values at the end of the run (JUnit 5.13 and later).
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(BROKER_KEY, key -> startBroker(), EmbeddedKafkaBroker.class);
  }

  private static EmbeddedKafkaBroker startBroker() {
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
    try {
      broker.start();
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    return broker;
  }
}
