package io.gradscale.cli.report;

/** Escaping for text placed in HTML markup and for JSON placed inside a {@code <script>} element. */
final class Html {
    private Html() {
    }

    /** {@code s} as HTML text or attribute value: {@code & < > " '} replaced by character references. */
    static String text(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * JSON text made safe to sit inside a {@code <script>} element: every {@code <} becomes the six-character
     * JSON escape for U+003C, so neither {@code </script>} nor {@code <!--} can appear, and the JSON still parses
     * to the same value (a {@code <} can only occur inside JSON strings). U+2028 and U+2029 are escaped too, so
     * the text is also a valid JavaScript literal.
     */
    static String scriptJson(String json) {
        return json.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029");
    }
}
