package io.graphitekafka.sink.consumer;

/**
 * What one file update did: points written, points dropped because they are older than their
 * archive's retention, and points dropped because the existing file has no archive of their
 * precision.
 */
record WriteResult(long written, long droppedTooOld, long droppedNoArchive) {}
