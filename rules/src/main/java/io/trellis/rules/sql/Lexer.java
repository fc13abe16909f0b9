package io.trellis.rules.sql;

import java.util.ArrayList;
import java.util.List;

/** Splits rule SQL into tokens. Strings are single- or double-quoted; backticks quote names. */
final class Lexer {

    private static final List<String> SYMBOLS = List.of(
            "=~", "!=", "<>", ">=", "<=", "=", ">", "<", "+", "-", "*", "/", "(", ")", ",", ".", "[", "]");

    private final String src;
    private int pos;

    Lexer(String src) {
        this.src = src;
    }

    List<Token> tokens() throws SqlParseException {
        List<Token> out = new ArrayList<>();
        while (true) {
            skipSpace();
            if (pos >= src.length()) {
                out.add(new Token(Token.Kind.EOF, "", pos));
                return out;
            }
            out.add(next());
        }
    }

    private void skipSpace() {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (src.startsWith("--", pos)) { // SQL line comment
                while (pos < src.length() && src.charAt(pos) != '\n') pos++;
            } else {
                return;
            }
        }
    }

    private Token next() throws SqlParseException {
        int start = pos;
        char c = src.charAt(pos);
        if (c == '\'' || c == '"') {
            return new Token(Token.Kind.STRING, quoted(c), start);
        }
        if (c == '`') {
            return new Token(Token.Kind.QUOTED_IDENT, quoted(c), start);
        }
        if (Character.isDigit(c)) {
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            // a fraction needs a digit after the dot, so that "1.x" is not a number
            if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
                pos++;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            }
            if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
                int save = pos;
                pos++;
                if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
                if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                    while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
                } else {
                    pos = save;
                }
            }
            return new Token(Token.Kind.NUMBER, src.substring(start, pos), start);
        }
        if (Character.isLetter(c) || c == '_' || c == '$') {
            while (pos < src.length()) {
                char d = src.charAt(pos);
                if (!(Character.isLetterOrDigit(d) || d == '_' || d == '$' || d == '-' && isUserPropertyDash())) break;
                pos++;
            }
            return new Token(Token.Kind.IDENT, src.substring(start, pos), start);
        }
        for (String s : SYMBOLS) {
            if (src.startsWith(s, pos)) {
                pos += s.length();
                return new Token(Token.Kind.SYMBOL, s, start);
            }
        }
        int[] lc = Positions.lineCol(src, start);
        throw new SqlParseException(lc[0], lc[1], "unexpected character '" + c + "'");
    }

    /** EMQX's {@code pub_props.User-Property}: a dash inside a name only right after "User". */
    private boolean isUserPropertyDash() {
        return src.regionMatches(true, pos - 4, "User", 0, 4) && src.regionMatches(true, pos + 1, "Property", 0, 8);
    }

    private String quoted(char quote) throws SqlParseException {
        int start = pos;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (pos < src.length()) {
            char c = src.charAt(pos++);
            if (c == '\\' && pos < src.length()) {
                char e = src.charAt(pos++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    default -> sb.append(e);
                }
            } else if (c == quote) {
                return sb.toString();
            } else {
                sb.append(c);
            }
        }
        int[] lc = Positions.lineCol(src, start);
        throw new SqlParseException(lc[0], lc[1], "unterminated " + (quote == '`' ? "quoted name" : "string") + ": add the closing " + quote);
    }
}
