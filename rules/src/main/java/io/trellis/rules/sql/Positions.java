package io.trellis.rules.sql;

/** Offsets to 1-based line and column, for error messages. */
final class Positions {

    private Positions() {
    }

    static int[] lineCol(String src, int offset) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < offset && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new int[] {line, col};
    }
}
