package dev.outpost.config;

import java.util.regex.Pattern;

/**
 * Path globs of rules: {@code *} matches within one segment, {@code **} matches across
 * segments, {@code ?} one character; everything else is literal. The whole path must match.
 */
public final class PathGlob {

    private PathGlob() {
    }

    public static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    re.append(".*");
                    i++;
                } else {
                    re.append("[^/]*");
                }
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
