package io.trellis.security.authz;

/** An acl.conf that cannot be used; the message reads {@code file:line: what is wrong}. */
public final class AclParseException extends Exception {

  private final String file;
  private final int line;

  public AclParseException(String file, int line, String problem) {
    super(file + ":" + line + ": " + problem);
    this.file = file;
    this.line = line;
  }

  public String file() {
    return file;
  }

  public int line() {
    return line;
  }
}
