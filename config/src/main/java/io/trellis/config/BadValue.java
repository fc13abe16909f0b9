package io.trellis.config;

/**
 * A value that does not fit its key: what is wrong and what to write instead. Built only from
 * fixed words and non-secret text, so it may be shown as is.
 */
final class BadValue extends Exception {
    final String what;
    final String instead;

    BadValue(String what, String instead) {
        super(what + " (" + instead + ")", null, false, false);
        this.what = what;
        this.instead = instead;
    }
}
