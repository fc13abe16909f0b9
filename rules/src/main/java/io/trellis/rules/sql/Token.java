package io.trellis.rules.sql;

/** One lexical token of rule SQL; {@code offset} is where it starts in the source text. */
record Token(Kind kind, String text, int offset) {

    enum Kind { IDENT, NUMBER, STRING, QUOTED_IDENT, SYMBOL, EOF }

    boolean isKeyword(String keyword) {
        return kind == Kind.IDENT && text.equalsIgnoreCase(keyword);
    }

    boolean isSymbol(String symbol) {
        return kind == Kind.SYMBOL && text.equals(symbol);
    }

    /** How the token is shown in an error message. */
    String describe() {
        return switch (kind) {
            case EOF -> "end of input";
            case STRING -> "string '" + text + "'";
            default -> "'" + text + "'";
        };
    }
}
