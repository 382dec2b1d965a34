package dev.lakelifecycle.examples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The lines of one source file that did not parse: how many, and the first few with their line numbers and
 * reasons. Nothing is dropped silently: every rejected line is counted here.
 */
public final class ParseErrors {
  /** How many examples are kept. */
  public static final int EXAMPLES = 5;

  /** One rejected line. */
  public record Example(long lineNumber, String reason) {}

  private final String file;
  private final List<Example> examples = new ArrayList<>();
  private long count;

  public ParseErrors(String file) {
    this.file = file;
  }

  /** Records a rejected line (1-based number). */
  public void add(long lineNumber, String reason) {
    count++;
    if (examples.size() < EXAMPLES) {
      examples.add(new Example(lineNumber, reason));
    }
  }

  public String file() {
    return file;
  }

  public long count() {
    return count;
  }

  /** The first {@link #EXAMPLES} rejected lines, in file order. */
  public List<Example> examples() {
    return Collections.unmodifiableList(examples);
  }
}
