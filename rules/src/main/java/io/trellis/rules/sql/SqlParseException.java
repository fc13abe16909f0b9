package io.trellis.rules.sql;

/**
 * Rule SQL that cannot be parsed. The message names the position (1-based line and column) and
 * what was expected there, e.g. {@code line 1, col 23: expected FROM but found 'WHERE'}.
 */
public final class SqlParseException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;

    public SqlParseException(int line, int column, String problem) {
        super("line " + line + ", col " + column + ": " + problem);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
