package io.trellis.rules.sql;

import io.trellis.mqtt.topic.InvalidTopicException;
import io.trellis.mqtt.topic.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A hand-written recursive-descent parser for EMQX's rule SQL subset. Grammar, loosest binding
 * first:
 *
 * <pre>
 * rule    := SELECT field ("," field)* FROM filter ("," filter)* [WHERE expr]
 * field   := "*" | expr [AS name ("." name)*]
 * filter  := string                       (an MQTT topic filter)
 * expr    := and (OR and)*
 * and     := not (AND not)*
 * not     := NOT not | cmp
 * cmp     := sum [(= | != | &lt;&gt; | &gt; | &lt; | &gt;= | &lt;= | =~) sum | [NOT] IN "(" expr ("," expr)* ")"]
 * sum     := product (("+" | "-") product)*
 * product := unary (("*" | "/" | DIV | MOD) unary)*
 * unary   := "-" unary | primary
 * primary := number | string | TRUE | FALSE | NULL | case | name "(" [expr ("," expr)*] ")"
 *          | path | "(" expr ")"
 * path    := name ("." name | "[" ["-"] integer "]")*
 * case    := CASE [expr] (WHEN expr THEN expr)+ [ELSE expr] END
 * </pre>
 *
 * Keywords are case-insensitive. Errors name the line, column and what was expected.
 */
final class SqlParser {

    /** Maximum topic levels of a FROM filter (as the broker's default). */
    private static final int MAX_FILTER_LEVELS = 128;

    private static final Set<String> RESERVED = Set.of("select", "from", "where", "as", "and", "or", "not", "in",
            "case", "when", "then", "else", "end", "div", "mod");

    private final String src;
    private List<Token> tokens;
    private int index;

    SqlParser(String src) {
        this.src = src == null ? "" : src;
    }

    RuleSql parse() throws SqlParseException {
        tokens = new Lexer(src).tokens();
        expectKeyword("SELECT");
        List<RuleSql.Field> fields = new ArrayList<>();
        do {
            fields.add(field());
        } while (acceptSymbol(","));
        expectKeyword("FROM");
        List<String> filters = new ArrayList<>();
        do {
            filters.add(filter());
        } while (acceptSymbol(","));
        Expr where = null;
        if (acceptKeyword("WHERE")) where = expr();
        if (peek().kind() != Token.Kind.EOF) {
            throw error(peek(), filters.isEmpty() ? "expected FROM" : "expected WHERE or the end of the rule");
        }
        return new RuleSql(src, fields, filters, where);
    }

    private RuleSql.Field field() throws SqlParseException {
        Token start = peek();
        if (acceptSymbol("*")) return new RuleSql.Field(new Expr.Star(), null, "*");
        if (start.isKeyword("FROM")) throw error(start, "expected a field to select before FROM");
        Expr e = expr();
        String text = src.substring(start.offset(), peek().offset()).strip();
        List<String> alias = null;
        if (acceptKeyword("AS")) {
            alias = new ArrayList<>();
            alias.add(name("an alias after AS"));
            while (acceptSymbol(".")) alias.add(name("a name after '.' in the alias"));
        }
        return new RuleSql.Field(e, alias, text);
    }

    private String filter() throws SqlParseException {
        Token t = peek();
        if (t.kind() != Token.Kind.STRING) {
            throw error(t, "expected a quoted topic filter after FROM, e.g. FROM \"t/#\"");
        }
        index++;
        try {
            Topics.validateFilter(t.text(), MAX_FILTER_LEVELS);
        } catch (InvalidTopicException e) {
            throw fail(t, "invalid topic filter \"" + t.text() + "\": " + e.getMessage());
        }
        return t.text();
    }

    private Expr expr() throws SqlParseException {
        Expr left = and();
        while (acceptKeyword("OR")) left = new Expr.Or(left, and());
        return left;
    }

    private Expr and() throws SqlParseException {
        Expr left = not();
        while (acceptKeyword("AND")) left = new Expr.And(left, not());
        return left;
    }

    private Expr not() throws SqlParseException {
        if (acceptKeyword("NOT")) return new Expr.Not(not());
        return comparison();
    }

    private Expr comparison() throws SqlParseException {
        Expr left = sum();
        Token t = peek();
        if (t.kind() == Token.Kind.SYMBOL) {
            switch (t.text()) {
                case "=", "!=", "<>", ">", "<", ">=", "<=" -> {
                    index++;
                    return new Expr.Compare(t.text(), left, sum());
                }
                case "=~" -> {
                    index++;
                    return new Expr.TopicMatch(left, sum());
                }
                default -> {
                }
            }
        }
        boolean negated = false;
        if (t.isKeyword("NOT") && tokens.get(index + 1).isKeyword("IN")) {
            index++;
            negated = true;
        }
        if (acceptKeyword("IN")) {
            expectSymbol("(", "after IN");
            List<Expr> candidates = new ArrayList<>();
            do {
                candidates.add(expr());
            } while (acceptSymbol(","));
            expectSymbol(")", "to close the IN list");
            return new Expr.In(left, candidates, negated);
        }
        return left;
    }

    private Expr sum() throws SqlParseException {
        Expr left = product();
        while (peek().isSymbol("+") || peek().isSymbol("-")) {
            String op = tokens.get(index++).text();
            left = new Expr.Arith(op, left, product());
        }
        return left;
    }

    private Expr product() throws SqlParseException {
        Expr left = unary();
        while (true) {
            Token t = peek();
            String op;
            if (t.isSymbol("*") || t.isSymbol("/")) {
                op = t.text();
            } else if (t.isKeyword("div") || t.isKeyword("mod")) {
                op = t.text().toLowerCase(Locale.ROOT);
            } else {
                return left;
            }
            index++;
            left = new Expr.Arith(op, left, unary());
        }
    }

    private Expr unary() throws SqlParseException {
        if (acceptSymbol("-")) {
            Expr operand = unary();
            if (operand instanceof Expr.Literal lit && lit.value() instanceof Long v) return new Expr.Literal(-v);
            if (operand instanceof Expr.Literal lit && lit.value() instanceof Double v) return new Expr.Literal(-v);
            return new Expr.Negate(operand);
        }
        return primary();
    }

    private Expr primary() throws SqlParseException {
        Token t = peek();
        switch (t.kind()) {
            case NUMBER -> {
                index++;
                Number n = Values.parseNumber(t.text());
                if (n == null) throw fail(t, "number out of range: " + t.text());
                return new Expr.Literal(n);
            }
            case STRING -> {
                index++;
                return new Expr.Literal(t.text());
            }
            case SYMBOL -> {
                if (acceptSymbol("(")) {
                    Expr e = expr();
                    expectSymbol(")", "to close '('");
                    return e;
                }
                throw error(t, "expected a value, a field or a function call");
            }
            case EOF -> throw error(t, "expected a value, a field or a function call");
            default -> {
            }
        }
        if (t.kind() == Token.Kind.IDENT) {
            String lower = t.text().toLowerCase(Locale.ROOT);
            switch (lower) {
                case "true" -> {
                    index++;
                    return new Expr.Literal(true);
                }
                case "false" -> {
                    index++;
                    return new Expr.Literal(false);
                }
                case "null", "undefined" -> {
                    index++;
                    return new Expr.Literal(null);
                }
                case "case" -> {
                    index++;
                    return caseExpr();
                }
                default -> {
                }
            }
            if (tokens.get(index + 1).isSymbol("(")) return call();
        }
        return path();
    }

    private Expr call() throws SqlParseException {
        Token nameToken = tokens.get(index);
        index += 2; // name and "("
        List<Expr> args = new ArrayList<>();
        if (!acceptSymbol(")")) {
            do {
                args.add(expr());
            } while (acceptSymbol(","));
            expectSymbol(")", "to close the arguments of " + nameToken.text() + "(");
        }
        Functions.Def def = Functions.lookup(nameToken.text());
        if (def == null) throw fail(nameToken, "unknown function '" + nameToken.text() + "'");
        if (args.size() < def.minArgs() || args.size() > def.maxArgs()) {
            String wanted = def.minArgs() == def.maxArgs() ? String.valueOf(def.minArgs()) : def.minArgs() + " to " + def.maxArgs();
            throw fail(nameToken, nameToken.text() + "() takes " + wanted + " argument(s), got " + args.size());
        }
        return new Expr.Call(nameToken.text().toLowerCase(Locale.ROOT), def.fn(), args);
    }

    private Expr caseExpr() throws SqlParseException {
        Expr subject = peek().isKeyword("WHEN") ? null : expr();
        List<Expr> whens = new ArrayList<>();
        List<Expr> thens = new ArrayList<>();
        while (acceptKeyword("WHEN")) {
            whens.add(expr());
            expectKeyword("THEN");
            thens.add(expr());
        }
        if (whens.isEmpty()) throw error(peek(), "expected WHEN");
        Expr otherwise = acceptKeyword("ELSE") ? expr() : null;
        expectKeyword("END");
        return new Expr.Case(subject, whens, thens, otherwise);
    }

    private Expr path() throws SqlParseException {
        Token start = peek();
        List<Object> segments = new ArrayList<>();
        segments.add(name("a value, a field or a function call"));
        while (true) {
            if (acceptSymbol(".")) {
                segments.add(name("a name after '.'"));
            } else if (acceptSymbol("[")) {
                boolean minus = acceptSymbol("-");
                Token n = peek();
                if (n.kind() != Token.Kind.NUMBER || !(Values.parseNumber(n.text()) instanceof Long v) || v == 0 || v > Integer.MAX_VALUE) {
                    throw error(n, "expected an index from 1 (or from -1 counting from the end) inside [ ]");
                }
                index++;
                segments.add((int) (minus ? -v : v));
                expectSymbol("]", "to close '['");
            } else {
                break;
            }
        }
        String text = src.substring(start.offset(), peek().offset()).strip();
        return new Expr.Path(segments, text);
    }

    private String name(String expected) throws SqlParseException {
        Token t = peek();
        if (t.kind() == Token.Kind.QUOTED_IDENT
                || t.kind() == Token.Kind.IDENT && !RESERVED.contains(t.text().toLowerCase(Locale.ROOT))) {
            index++;
            return t.text();
        }
        throw error(t, "expected " + expected);
    }

    private Token peek() {
        return tokens.get(index);
    }

    private boolean acceptKeyword(String keyword) {
        if (peek().isKeyword(keyword)) {
            index++;
            return true;
        }
        return false;
    }

    private boolean acceptSymbol(String symbol) {
        if (peek().isSymbol(symbol)) {
            index++;
            return true;
        }
        return false;
    }

    private void expectKeyword(String keyword) throws SqlParseException {
        if (!acceptKeyword(keyword)) throw error(peek(), "expected " + keyword);
    }

    private void expectSymbol(String symbol, String why) throws SqlParseException {
        if (!acceptSymbol(symbol)) throw error(peek(), "expected '" + symbol + "' " + why);
    }

    /** A problem at a token that is not about what was expected next. */
    private SqlParseException fail(Token at, String problem) {
        int[] lc = Positions.lineCol(src, at.offset());
        return new SqlParseException(lc[0], lc[1], problem);
    }

    private SqlParseException error(Token at, String problem) {
        int[] lc = Positions.lineCol(src, at.offset());
        return new SqlParseException(lc[0], lc[1], problem + " but found " + at.describe());
    }
}
