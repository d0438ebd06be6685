package io.graphitekafka.graphite.rules;

/**
 * A line of a rules file that was refused or ignored, with its 1-based number and the reason; the
 * file's other lines still load.
 */
public record RuleFileProblem(String file, int lineNumber, String line, String reason) {

  @Override
  public String toString() {
    return file + " line " + lineNumber + ": " + reason + ": " + line;
  }
}
