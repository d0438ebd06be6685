package io.graphitekafka.graphite.storage;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Carbon's two storage files together: what a new Whisper file for a series looks like. Loaded once
 * at start by the aggregator, which stamps the result on every archive point.
 */
public final class StorageRules {

  public static final String SCHEMAS_FILE = "storage-schemas.conf";
  public static final String AGGREGATION_FILE = "storage-aggregation.conf";

  private final StorageSchemas schemas;
  private final StorageAggregation aggregation;

  private StorageRules(StorageSchemas schemas, StorageAggregation aggregation) {
    this.schemas = schemas;
    this.aggregation = aggregation;
  }

  /**
   * Reads {@code storage-schemas.conf} (required) and {@code storage-aggregation.conf} (optional)
   * from a directory.
   *
   * @throws UncheckedIOException if the schemas file is missing or unreadable
   * @throws IllegalArgumentException for a fatal error in either file
   */
  public static StorageRules load(Path confDir) {
    Path schemasFile = confDir.resolve(SCHEMAS_FILE);
    if (!Files.isRegularFile(schemasFile)) {
      throw new UncheckedIOException(
          new NoSuchFileException(
              schemasFile.toString(),
              null,
              "required " + SCHEMAS_FILE + " not found in " + confDir));
    }
    return new StorageRules(
        StorageSchemas.load(schemasFile),
        StorageAggregation.load(confDir.resolve(AGGREGATION_FILE)));
  }

  public static StorageRules of(StorageSchemas schemas, StorageAggregation aggregation) {
    if (schemas == null || aggregation == null) {
      throw new IllegalArgumentException("schemas and aggregation must not be null");
    }
    return new StorageRules(schemas, aggregation);
  }

  public StorageSchemas schemas() {
    return schemas;
  }

  public StorageAggregation aggregation() {
    return aggregation;
  }

  /** The layout carbon would create for this normalized series name. */
  public SeriesLayout resolve(String normalizedName) {
    AggregationRule rule = aggregation.match(normalizedName);
    return new SeriesLayout(schemas.match(normalizedName), rule.method(), rule.xFilesFactor());
  }
}
