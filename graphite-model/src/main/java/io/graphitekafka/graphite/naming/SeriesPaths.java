package io.graphitekafka.graphite.naming;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Maps a normalized series name to its Whisper file the way carbon's {@code
 * WhisperDatabase._getFilesystemPath} and {@code TaggedSeries.encode} do: dots become directories
 * for plain names, tagged names go under {@code _tagged/} by their SHA-256.
 */
public final class SeriesPaths {

  /** The directory carbon keeps tagged series in, below the Whisper root. */
  public static final String TAGGED_DIR = "_tagged";

  private static final int MAX_FILE_NAME_BYTES = 255;

  private SeriesPaths() {}

  /**
   * The path of the series' file relative to the Whisper root.
   *
   * @param hashTaggedNames carbon's {@code TAG_HASH_FILENAMES} (default true): name a tagged
   *     series' file by its hash rather than by its name with {@code .} replaced by {@code _DOT_}
   * @throws InvalidSeriesNameException if the name is invalid or not in normalized form
   */
  public static Path relativePath(String normalizedName, boolean hashTaggedNames) {
    String normalized = SeriesNames.normalize(normalizedName);
    if (!normalized.equals(normalizedName)) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.NOT_NORMALIZED,
          normalizedName,
          "its normalized form is " + InvalidSeriesNameException.quote(normalized));
    }
    if (SeriesNames.isTagged(normalized)) {
      String hash = sha256Hex(normalized);
      String dir1 = hash.substring(0, 3);
      String dir2 = hash.substring(3, 6);
      if (hashTaggedNames) {
        return Path.of(TAGGED_DIR, dir1, dir2, hash + ".wsp");
      }
      // carbon util.py TaggedSeries.encode uses '_DOT_' (its docstring says '-').
      String file = normalized.replace(".", "_DOT_") + ".wsp";
      int bytes = file.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_FILE_NAME_BYTES) {
        throw new InvalidSeriesNameException(
            InvalidSeriesNameException.TOO_LONG,
            normalizedName,
            "the unhashed file name has "
                + bytes
                + " UTF-8 bytes, over "
                + MAX_FILE_NAME_BYTES
                + "; enable tag hashing");
      }
      return Path.of(TAGGED_DIR, dir1, dir2, file);
    }
    String[] parts = normalized.split("\\.", -1);
    parts[parts.length - 1] = parts[parts.length - 1] + ".wsp";
    String[] rest = new String[parts.length - 1];
    System.arraycopy(parts, 1, rest, 0, rest.length);
    return Path.of(parts[0], rest);
  }

  /** {@link #relativePath(String, boolean)} with carbon's default of hashed tagged names. */
  public static Path relativePath(String normalizedName) {
    return relativePath(normalizedName, true);
  }

  /** {@link #resolve(Path, String, boolean)} with carbon's default of hashed tagged names. */
  public static Path resolve(Path whisperRoot, String normalizedName) {
    return resolve(whisperRoot, normalizedName, true);
  }

  /**
   * The absolute, normalized path of the series' file below {@code whisperRoot}, checked to lie
   * strictly inside it independently of the name validation.
   *
   * @throws InvalidSeriesNameException if the name is invalid ({@code path_escape} if the path
   *     would leave the root)
   */
  public static Path resolve(Path whisperRoot, String normalizedName, boolean hashTaggedNames) {
    Path root = whisperRoot.toAbsolutePath().normalize();
    Path relative = relativePath(normalizedName, hashTaggedNames);
    Path file = root.resolve(relative).normalize();
    if (relative.isAbsolute()
        || !file.startsWith(root)
        || file.getNameCount() != root.getNameCount() + relative.getNameCount()) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.PATH_ESCAPE,
          normalizedName,
          "its path " + relative + " does not stay inside " + root);
    }
    return file;
  }

  /** Lowercase hex SHA-256 of the name's UTF-8 bytes, as carbon hashes tagged names. */
  public static String sha256Hex(String name) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(name.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
