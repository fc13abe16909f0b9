package io.trellis.security.authz;

import java.util.List;

/** The subset of Erlang terms acl.conf uses, each with the line it starts on. */
sealed interface ErlangTerm {

  int line();

  /** What the term is, for error messages: {@code atom 'publsh'}, {@code a string}, ... */
  String describe();

  record Atom(String name, int line) implements ErlangTerm {
    public String describe() {
      return "atom '" + name + "'";
    }
  }

  record Str(String value, int line) implements ErlangTerm {
    public String describe() {
      return "string \"" + value + "\"";
    }
  }

  record Int(long value, int line) implements ErlangTerm {
    public String describe() {
      return "integer " + value;
    }
  }

  record Tuple(List<ErlangTerm> elements, int line) implements ErlangTerm {
    public String describe() {
      return !elements.isEmpty() && elements.get(0) instanceof Atom a
          ? "{" + a.name() + (elements.size() > 1 ? ", ...}" : "}")
          : "a tuple of " + elements.size();
    }

    boolean isTagged(String tag, int size) {
      return elements.size() == size && elements.get(0) instanceof Atom a && a.name().equals(tag);
    }
  }

  record TermList(List<ErlangTerm> elements, int line) implements ErlangTerm {
    public String describe() {
      return "a list";
    }
  }
}
