package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.storage.SeriesLayout;
import java.nio.file.Path;

/**
 * One validated archive point: the series, its file inside the whisper root, the layout its records
 * carry, and the slot (precision, aligned interval, value).
 */
record DecodedPoint(
    String metric, Path path, SeriesLayout layout, int secondsPerPoint, long interval, double value) {}
