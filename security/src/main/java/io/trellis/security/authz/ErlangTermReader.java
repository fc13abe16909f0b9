package io.trellis.security.authz;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a file of Erlang terms each ended by a full stop, as {@code file:consult/1} does, limited
 * to what acl.conf needs: atoms (bare or 'quoted'), "strings", non-negative integers, tuples and
 * lists; {@code %} starts a comment. Anything else is an error naming the file and line.
 */
final class ErlangTermReader {

  private final String file;
  private final String text;
  private int pos;
  private int line = 1;

  private ErlangTermReader(String file, String text) {
    this.file = file;
    this.text = text;
  }

  static List<ErlangTerm> read(String file, String text) throws AclParseException {
    return new ErlangTermReader(file, text).forms();
  }

  private List<ErlangTerm> forms() throws AclParseException {
    List<ErlangTerm> forms = new ArrayList<>();
    while (true) {
      skipBlanks();
      if (pos >= text.length()) {
        return forms;
      }
      ErlangTerm term = term();
      skipBlanks();
      if (pos >= text.length() || text.charAt(pos) != '.') {
        throw error("expected '.' to end the rule that starts on line " + term.line()
            + (pos >= text.length() ? ", found the end of the file" : ", found " + found()));
      }
      pos++;
      forms.add(term);
    }
  }

  private ErlangTerm term() throws AclParseException {
    skipBlanks();
    if (pos >= text.length()) {
      throw error("unexpected end of file inside a rule");
    }
    char c = text.charAt(pos);
    int startLine = line;
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      pos++;
      List<ErlangTerm> elements = new ArrayList<>();
      skipBlanks();
      if (pos < text.length() && text.charAt(pos) == close) {
        pos++;
      } else {
        while (true) {
          elements.add(term());
          skipBlanks();
          if (pos >= text.length()) {
            throw error("unexpected end of file: '" + c + "' opened on line " + startLine
                + " is not closed");
          }
          char next = text.charAt(pos);
          if (next == ',') {
            pos++;
          } else if (next == close) {
            pos++;
            break;
          } else {
            throw error("expected ',' or '" + close + "', found " + found());
          }
        }
      }
      return c == '{' ? new ErlangTerm.Tuple(List.copyOf(elements), startLine)
          : new ErlangTerm.TermList(List.copyOf(elements), startLine);
    }
    if (c == '"') {
      return new ErlangTerm.Str(quoted('"'), startLine);
    }
    if (c == '\'') {
      return new ErlangTerm.Atom(quoted('\''), startLine);
    }
    if (c >= 'a' && c <= 'z') {
      int start = pos;
      while (pos < text.length() && isNameChar(text.charAt(pos))) {
        pos++;
      }
      return new ErlangTerm.Atom(text.substring(start, pos), startLine);
    }
    if (c >= '0' && c <= '9') {
      int start = pos;
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
        pos++;
      }
      try {
        return new ErlangTerm.Int(Long.parseLong(text.substring(start, pos)), startLine);
      } catch (NumberFormatException e) {
        throw error("integer " + text.substring(start, pos) + " is too large");
      }
    }
    if ((c >= 'A' && c <= 'Z') || c == '_') {
      throw error("found " + found() + ": variables are not allowed; write atoms in lower case"
          + " or quote them ('Name') and strings in double quotes");
    }
    throw error("unexpected " + found());
  }

  private String quoted(char quote) throws AclParseException {
    int startLine = line;
    pos++;
    StringBuilder out = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == quote) {
        return out.toString();
      }
      if (c == '\n') {
        line++;
      }
      if (c == '\\' && pos < text.length()) {
        char e = text.charAt(pos++);
        out.append(switch (e) {
          case 'n' -> '\n';
          case 't' -> '\t';
          case 'r' -> '\r';
          case 's' -> ' ';
          default -> e;
        });
      } else {
        out.append(c);
      }
    }
    throw new AclParseException(file, startLine, "the " + (quote == '"' ? "string" : "quoted atom")
        + " that starts here is not closed with " + quote);
  }

  private void skipBlanks() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '\n') {
        line++;
        pos++;
      } else if (Character.isWhitespace(c)) {
        pos++;
      } else if (c == '%') {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
      } else {
        return;
      }
    }
  }

  private static boolean isNameChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '@';
  }

  private String found() {
    if (pos >= text.length()) {
      return "the end of the file";
    }
    int end = pos;
    while (end < text.length() && end - pos < 20 && !Character.isWhitespace(text.charAt(end))) {
      end++;
    }
    return "'" + text.substring(pos, Math.max(end, pos + 1)) + "'";
  }

  private AclParseException error(String problem) {
    return new AclParseException(file, line, problem);
  }
}
