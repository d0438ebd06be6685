/**
 * The Whisper file format (whisper 1.1.x, byte for byte): creating files, reading and validating
 * headers, whisper.py's {@code update}, {@code update_many} and {@code fetch}, and the sink's
 * propagation-free slot writes. A {@link io.graphitekafka.whisper.WhisperFile} is used by one
 * thread at a time; whisper's optional {@code flock} write lock is not taken, because Java can only
 * take {@code fcntl} locks, which do not interact with it.
 */
package io.graphitekafka.whisper;
