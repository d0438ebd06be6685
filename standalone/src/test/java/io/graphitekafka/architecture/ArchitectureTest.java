package io.graphitekafka.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.Slice;
import java.util.List;
import java.util.Set;

/**
 * The dependency rules of the modules, checked on the main classes of every module (the launcher's
 * test class path holds them all): libraries below services, services beside each other, the
 * launcher on top, and no Kafka internals anywhere. Each rule says why it holds.
 */
@AnalyzeClasses(
    packages = "io.graphitekafka",
    importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.NoTestJars.class})
class ArchitectureTest {

  private static final String GATEWAY = "io.graphitekafka.gateway..";
  private static final String AGGREGATOR = "io.graphitekafka.aggregator..";
  private static final String SINK = "io.graphitekafka.sink..";
  private static final String TOOLS = "io.graphitekafka.tools..";
  private static final String LAUNCHER = "io.graphitekafka.standalone..";
  private static final String GRAPHITE_MODEL = "io.graphitekafka.graphite..";
  private static final String WHISPER = "io.graphitekafka.whisper..";
  private static final String SCHEMAS = "io.graphitekafka.schemas..";
  private static final String SERVICE_COMMON = "io.graphitekafka.service..";
  private static final String EMBEDDED_BROKER = "io.graphitekafka.embedded..";
  private static final String TEST_SUPPORT = "io.graphitekafka.testing..";

  private static final Set<String> SERVICES = Set.of("gateway", "aggregator", "sink");

  @ArchTest
  static final ArchRule servicesDependOnNoOtherService =
      slices()
          .matching("io.graphitekafka.(*)..")
          .that(
              DescribedPredicate.describe(
                  "are services (" + SERVICES + ")",
                  (Slice slice) -> SERVICES.contains(slice.getNamePart(1))))
          .should()
          .notDependOnEachOther()
          .because(
              "each service is deployed, scaled and upgraded on its own and talks to the others "
                  + "only through Kafka topics; what two services share belongs in a library");

  @ArchTest
  static final ArchRule librariesDependOnNoServiceToolOrLauncher =
      noDependency(
          List.of(GRAPHITE_MODEL, WHISPER, SCHEMAS, SERVICE_COMMON, EMBEDDED_BROKER, TEST_SUPPORT),
          List.of(GATEWAY, AGGREGATOR, SINK, TOOLS, LAUNCHER),
          "dependencies go one way, libraries <- services <- tools and launcher, so that a "
              + "library can be built, tested and reused without any service");

  @ArchTest
  static final ArchRule onlyTheLauncherDependsOnTheLauncher =
      usedFromNowhereElse(
          LAUNCHER,
          "the launcher wires every service into one process and is the top of the graph; "
              + "a service or tool that needed it would pull every other service in");

  @ArchTest
  static final ArchRule graphiteModelUsesNoKafkaOrAvro =
      noDependency(
          List.of(GRAPHITE_MODEL),
          List.of("org.apache.kafka..", "org.apache.avro.."),
          "the Graphite model (storage rules, naming, Python-compatible parsing) is plain Java "
              + "that the Whisper format and the importer use without a broker or a wire format");

  @ArchTest
  static final ArchRule whisperDependsOnlyOnGraphiteModel =
      noClasses()
          .that()
          .resideInAPackage(WHISPER)
          .should()
          .dependOnClassesThat(
              resideInAPackage("io.graphitekafka..")
                  .and(not(resideInAnyPackage(WHISPER, GRAPHITE_MODEL))))
          .orShould()
          .dependOnClassesThat()
          .resideInAnyPackage("org.apache.kafka..", "org.apache.avro..")
          .because(
              "the Whisper format is a file-format library any module may use, byte-identical to "
                  + "whisper.py; it needs the storage rules of the Graphite model and nothing of Kafka");

  @ArchTest
  static final ArchRule schemasDependOnNeitherWhisperNorServiceCommon =
      noDependency(
          List.of(SCHEMAS),
          List.of(WHISPER, SERVICE_COMMON),
          "schemas is the wire contract (records, serdes, topic descriptors) that producers in "
              + "any language share; file formats and the services' runtime are not part of it");

  @ArchTest
  static final ArchRule noClassUsesKafkaInternals =
      noClasses()
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.apache.kafka..internals..")
          .because(
              "Kafka's internals packages are not public API and change without notice in any "
                  + "release: an upgrade would break the build, or worse the behaviour, silently");

  @ArchTest
  static final ArchRule noMainClassUsesTestSupport =
      usedFromNowhereElse(
          TEST_SUPPORT,
          "test-support is a test-scope module: main code that used it would not run outside "
              + "the tests");

  @ArchTest
  static final ArchRule packagesAreFreeOfCycles =
      slices()
          .matching("io.graphitekafka.(**)")
          .should()
          .beFreeOfCycles()
          .because(
              "a package cycle makes a module one tangle: no part of it can be understood, tested "
                  + "or moved on its own");

  /** No class of the {@code from} packages depends on a class of the {@code to} packages. */
  private static ArchRule noDependency(List<String> from, List<String> to, String reason) {
    return noClasses()
        .that()
        .resideInAnyPackage(from.toArray(String[]::new))
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(to.toArray(String[]::new))
        .because(reason);
  }

  /** No class outside the {@code packages} depends on a class inside them. */
  private static ArchRule usedFromNowhereElse(String packages, String reason) {
    return noClasses()
        .that()
        .resideOutsideOfPackage(packages)
        .should()
        .dependOnClassesThat()
        .resideInAPackage(packages)
        .because(reason);
  }

  /** Leaves out the test jars of other modules (fixtures, not main code) when they are packaged. */
  static final class NoTestJars implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("-tests.jar");
    }
  }
}
