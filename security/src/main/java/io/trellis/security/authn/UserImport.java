package io.trellis.security.authn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Reads EMQX's built-in database user files ({@code emqx_authn_mnesia} import and bootstrap).
 *
 * <ul>
 *   <li>CSV ({@code .csv}): a header line naming the columns, then one user per line. Columns
 *       {@code user_id}, {@code password_hash}, {@code salt}, {@code is_superuser} for type
 *       {@code hash}; {@code user_id}, {@code password}, {@code is_superuser} for type
 *       {@code plain}. Double-quoted fields (RFC 4180) are understood; empty lines are skipped.
 *   <li>JSON ({@code .json}): an array of objects with the same fields; {@code is_superuser} may be
 *       {@code true} or {@code "true"}.
 * </ul>
 *
 * <p>Type {@code plain} hashes each password with the database's configured algorithm. Missing
 * {@code salt} means no salt; anything but {@code true} for {@code is_superuser} means false.
 * Errors name the file, the line (CSV) or entry (JSON) and the field; never a password or hash.
 */
public final class UserImport {

  /** Whether the file holds hashes (EMQX's {@code hash}) or plain passwords ({@code plain}). */
  public enum PasswordType {
    HASH, PLAIN;

    public static PasswordType fromConfig(String name) {
      return ConfigNames.parse(PasswordType.class, name, "bootstrap_type");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private UserImport() {}

  /** Reads a {@code .csv} or {@code .json} file, chosen by its extension. */
  public static List<UserRecord> read(Path file, PasswordType type, PasswordHashing hashing)
      throws UserImportException {
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    String content;
    try {
      content = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserImportException("cannot read user file " + file + ": " + e.getMessage());
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".csv")) {
      return parseCsv(file.toString(), content, type, hashing);
    }
    if (lower.endsWith(".json")) {
      return parseJson(file.toString(), content, type, hashing);
    }
    throw new UserImportException("user file " + file
        + ": unsupported format; name it *.csv or *.json (EMQX's two export formats)");
  }

  public static List<UserRecord> parseCsv(String source, String content, PasswordType type,
      PasswordHashing hashing) throws UserImportException {
    String[] lines = content.split("\r?\n", -1);
    int headerLine = 0;
    while (headerLine < lines.length && lines[headerLine].isBlank()) {
      headerLine++;
    }
    if (headerLine == lines.length) {
      return List.of();
    }
    List<String> header = splitCsv(source, headerLine + 1, stripBom(lines[headerLine]));
    Map<String, Integer> columns = new HashMap<>();
    for (int i = 0; i < header.size(); i++) {
      columns.put(header.get(i).trim(), i);
    }
    requireColumn(source, columns, "user_id");
    requireColumn(source, columns, type == PasswordType.HASH ? "password_hash" : "password");
    List<UserRecord> users = new ArrayList<>();
    for (int i = headerLine + 1; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      int lineNo = i + 1;
      List<String> fields = splitCsv(source, lineNo, lines[i]);
      if (fields.size() != header.size()) {
        throw new UserImportException(source + " line " + lineNo + ": expected " + header.size()
            + " fields as in the header, found " + fields.size());
      }
      Map<String, String> row = new HashMap<>();
      columns.forEach((column, index) -> row.put(column, fields.get(index)));
      users.add(toUser(source + " line " + lineNo, row::get,
          "true".equalsIgnoreCase(nullToEmpty(row.get("is_superuser")).trim()), type, hashing));
    }
    return users;
  }

  public static List<UserRecord> parseJson(String source, String content, PasswordType type,
      PasswordHashing hashing) throws UserImportException {
    JsonNode root;
    try {
      root = JSON.readTree(content);
    } catch (JsonProcessingException e) {
      throw new UserImportException(source + ": not valid JSON at line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
    }
    if (root == null || !root.isArray()) {
      throw new UserImportException(source
          + ": expected a JSON array of user objects ([{\"user_id\": ..., ...}])");
    }
    List<UserRecord> users = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      JsonNode entry = root.get(i);
      String where = source + " entry " + (i + 1);
      if (!entry.isObject()) {
        throw new UserImportException(where + ": expected an object with user_id and "
            + (type == PasswordType.HASH ? "password_hash" : "password"));
      }
      JsonNode superuser = entry.get("is_superuser");
      boolean isSuperuser = superuser != null
          && (superuser.isBoolean() ? superuser.booleanValue()
              : "true".equalsIgnoreCase(superuser.asText()));
      users.add(toUser(where, field -> {
        JsonNode value = entry.get(field);
        return value == null || value.isNull() ? null : value.asText();
      }, isSuperuser, type, hashing));
    }
    return users;
  }

  private interface Fields {
    String get(String name);
  }

  private static UserRecord toUser(String where, Fields fields, boolean superuser,
      PasswordType type, PasswordHashing hashing) throws UserImportException {
    String userId = fields.get("user_id");
    if (userId == null || userId.isEmpty()) {
      throw new UserImportException(where + ": user_id is missing or empty");
    }
    HashedPassword password;
    if (type == PasswordType.HASH) {
      String hash = fields.get("password_hash");
      if (hash == null || hash.isEmpty()) {
        throw new UserImportException(where + ": password_hash is missing or empty (importing"
            + " type hash; use type plain for a file with a password field)");
      }
      password = new HashedPassword(hash, nullToEmpty(fields.get("salt")));
    } else {
      String plain = fields.get("password");
      if (plain == null || plain.isEmpty()) {
        throw new UserImportException(where + ": password is missing or empty (importing type"
            + " plain; use type hash for a file with password_hash and salt)");
      }
      password = Objects.requireNonNull(hashing, "hashing")
          .hash(plain.getBytes(StandardCharsets.UTF_8));
    }
    return new UserRecord(userId, password, superuser);
  }

  private static void requireColumn(String source, Map<String, Integer> columns, String column)
      throws UserImportException {
    if (!columns.containsKey(column)) {
      throw new UserImportException(source + " line 1: the header has no '" + column
          + "' column; EMQX's format starts with user_id,password_hash,salt,is_superuser"
          + " (type hash) or user_id,password,is_superuser (type plain)");
    }
  }

  /** One CSV line, RFC 4180 quoting ("a ""quoted"" field"). */
  static List<String> splitCsv(String source, int lineNo, String line)
      throws UserImportException {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"' && field.length() == 0 && !wasQuoted) {
        quoted = true;
        wasQuoted = true;
      } else if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
        wasQuoted = false;
      } else {
        field.append(c);
      }
    }
    if (quoted) {
      throw new UserImportException(source + " line " + lineNo + ": a quoted field is not closed");
    }
    fields.add(field.toString());
    return fields;
  }

  private static String stripBom(String line) {
    return line.startsWith("\uFEFF") ? line.substring(1) : line;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
