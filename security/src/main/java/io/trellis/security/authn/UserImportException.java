package io.trellis.security.authn;

/** A user import file that cannot be read; the message names the file and the entry. */
public final class UserImportException extends Exception {
  public UserImportException(String message) {
    super(message);
  }
}
