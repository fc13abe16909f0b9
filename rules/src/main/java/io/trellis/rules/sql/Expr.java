package io.trellis.rules.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;

/** A parsed rule SQL expression; evaluation follows EMQX's rule engine semantics ({@link Values}). */
public sealed interface Expr {

    Object eval(EvalContext ctx);

    /** A number, string, boolean or null written in the SQL. */
    record Literal(Object value) implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            return value;
        }
    }

    /**
     * A column or a path into it: {@code payload.a.b}, {@code flags.retain},
     * {@code payload.list[1]} (indexes 1-based, as in EMQX). Segments are Strings (keys) or
     * Integers (indexes). A missing step yields null (EMQX's {@code undefined}).
     */
    record Path(List<Object> segments, String text) implements Expr {
        public Path {
            segments = List.copyOf(segments);
        }

        public String head() {
            return (String) segments.get(0);
        }

        @Override
        public Object eval(EvalContext ctx) {
            Object value = ctx.lookup(head());
            for (int i = 1; i < segments.size() && value != null; i++) {
                value = Values.step(value, segments.get(i), ctx);
            }
            return value;
        }
    }

    record Negate(Expr operand) implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            return Values.arith("-", 0L, operand.eval(ctx));
        }
    }

    record Not(Expr operand) implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            return !Values.truthy(operand.eval(ctx));
        }
    }

    record And(Expr left, Expr right) implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            return Values.truthy(left.eval(ctx)) && Values.truthy(right.eval(ctx));
        }
    }

    record Or(Expr left, Expr right) implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            return Values.truthy(left.eval(ctx)) || Values.truthy(right.eval(ctx));
        }
    }

    /** {@code = != <> > < >= <=} */
    record Compare(String op, Expr left, Expr right) implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            return Values.compare(op, left.eval(ctx), right.eval(ctx));
        }
    }

    /** {@code topic =~ 'a/+/c'}: MQTT topic filter match. */
    record TopicMatch(Expr topic, Expr filter) implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            Object t = topic.eval(ctx);
            Object f = filter.eval(ctx);
            if (t == null || f == null) return false;
            return io.trellis.mqtt.topic.Topics.matches(Values.str(f), Values.str(t));
        }
    }

    /** {@code + - * / div mod} */
    record Arith(String op, Expr left, Expr right) implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            return Values.arith(op, left.eval(ctx), right.eval(ctx));
        }
    }

    record In(Expr value, List<Expr> candidates, boolean negated) implements Expr {
        public In {
            candidates = List.copyOf(candidates);
        }

        @Override
        public Object eval(EvalContext ctx) {
            Object v = value.eval(ctx);
            boolean found = false;
            for (Expr c : candidates) {
                if (Boolean.TRUE.equals(Values.compare("=", v, c.eval(ctx)))) {
                    found = true;
                    break;
                }
            }
            return found != negated;
        }
    }

    /** {@code CASE [subject] WHEN .. THEN .. [ELSE ..] END}; no match and no ELSE gives null. */
    record Case(Expr subject, List<Expr> whens, List<Expr> thens, Expr otherwise) implements Expr {
        public Case {
            whens = List.copyOf(whens);
            thens = List.copyOf(thens);
        }

        @Override
        public Object eval(EvalContext ctx) {
            Object s = subject == null ? null : subject.eval(ctx);
            for (int i = 0; i < whens.size(); i++) {
                Object w = whens.get(i).eval(ctx);
                boolean hit = subject == null ? Values.truthy(w) : Boolean.TRUE.equals(Values.compare("=", s, w));
                if (hit) return thens.get(i).eval(ctx);
            }
            return otherwise == null ? null : otherwise.eval(ctx);
        }
    }

    record Call(String name, Functions.Fn fn, List<Expr> args) implements Expr {
        public Call {
            args = List.copyOf(args);
        }

        @Override
        public Object eval(EvalContext ctx) {
            List<Object> values = new ArrayList<>(args.size());
            for (Expr a : args) values.add(a.eval(ctx));
            return fn.apply(values, ctx);
        }
    }

    /** {@code SELECT *}: every column of the message. */
    record Star() implements Expr {
        @Override
        public Object eval(EvalContext ctx) {
            return new LinkedHashMap<>(ctx.allColumns());
        }
    }
}
