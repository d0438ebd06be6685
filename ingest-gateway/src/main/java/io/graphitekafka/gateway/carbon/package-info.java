/**
 * Carbon protocol codecs in plain Java: plaintext lines, UDP datagram splitting and pickle frames,
 * matching carbon 1.1.7's parsing and returning every bad input as a counted reject. All classes
 * are stateless and thread-safe; framing, sockets and Kafka belong to the server and producer
 * packages.
 */
package io.graphitekafka.gateway.carbon;
