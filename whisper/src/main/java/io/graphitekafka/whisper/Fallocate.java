package io.graphitekafka.whisper;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code posix_fallocate(3)} from the C library, called through JNA as whisper.py calls it through
 * ctypes for carbon's {@code WHISPER_FALLOCATE_CREATE}: the file system reserves the data region's
 * blocks without their being written, and the region reads as zeros. Like whisper.py, {@code
 * posix_fallocate64} is preferred and {@code posix_fallocate} taken where it is missing (64-bit
 * platforms only, where its offsets are 64 bits). Where neither can be loaded (not Linux, no usable
 * C library, JNA's native part refused), {@link #available()} is false and the caller writes zeros
 * instead.
 */
final class Fallocate {

  private static final Logger LOG = LoggerFactory.getLogger(Fallocate.class);
  private static final int O_WRONLY = 0x1;
  private static final int O_CLOEXEC = 0x80000;

  /** The charset the JDK encodes file names with, so the C library opens the very same path. */
  private static final Charset PATH_CHARSET = pathCharset();

  private static final Functions C = load();

  private record Functions(Function open, Function fallocate, Function close, Function strerror) {}

  private Fallocate() {}

  private static Functions load() {
    if (!Platform.isLinux()) {
      LOG.info("fill.mode=fallocate writes zeros: posix_fallocate is only called on Linux");
      return null;
    }
    try {
      NativeLibrary libc = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
      Function fallocate;
      try {
        fallocate = libc.getFunction("posix_fallocate64");
      } catch (UnsatisfiedLinkError e) {
        if (Native.LONG_SIZE != 8) {
          throw e;
        }
        fallocate = libc.getFunction("posix_fallocate");
      }
      return new Functions(
          libc.getFunction("open"),
          fallocate,
          libc.getFunction("close"),
          libc.getFunction("strerror"));
    } catch (LinkageError | RuntimeException e) {
      LOG.warn(
          "fill.mode=fallocate writes zeros: posix_fallocate cannot be called here: {}",
          e.toString());
      return null;
    }
  }

  private static Charset pathCharset() {
    String name = System.getProperty("sun.jnu.encoding");
    try {
      return name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
    } catch (IllegalArgumentException e) {
      return StandardCharsets.UTF_8;
    }
  }

  /** Whether {@link #allocate} can be called. */
  static boolean available() {
    return C != null;
  }

  /**
   * Reserves the blocks of {@code [offset, offset + length)} in the existing file at {@code path},
   * growing it to at least {@code offset + length} bytes; what was not written before reads as
   * zeros.
   *
   * @throws IOException naming the file and the C library's error (say, no space left on the
   *     device)
   * @throws IllegalStateException if not {@link #available()}
   */
  static void allocate(Path path, long offset, long length) throws IOException {
    if (C == null) {
      throw new IllegalStateException("posix_fallocate is not available");
    }
    byte[] name = path.toString().getBytes(PATH_CHARSET);
    byte[] cName = Arrays.copyOf(name, name.length + 1); // NUL-terminated
    int fd = C.open().invokeInt(new Object[] {cName, O_WRONLY | O_CLOEXEC});
    if (fd < 0) {
      throw new IOException(
          "cannot open " + path + " to allocate it: " + error(Native.getLastError()));
    }
    try {
      int err = C.fallocate().invokeInt(new Object[] {fd, offset, length});
      if (err != 0) {
        throw new IOException(
            "posix_fallocate of "
                + length
                + " bytes at offset "
                + offset
                + " in "
                + path
                + " failed: "
                + error(err));
      }
    } finally {
      C.close().invokeInt(new Object[] {fd});
    }
  }

  private static String error(int errno) {
    return C.strerror().invokeString(new Object[] {errno}, false) + " (errno " + errno + ")";
  }
}
