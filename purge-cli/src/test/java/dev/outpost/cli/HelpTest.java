package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command and subcommand answers {@code --help} and {@code -h}, and every usage error is
 * one line whose hint is a command line that works. Walks the whole command tree, so a command
 * added later is covered without a change here.
 */
class HelpTest {

    @TempDir
    Path home;

    record Run(int code, String out, String err) {
    }

    Run cli(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = OutpostCli.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), home);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Every command's words after {@code outpost}, e.g. {@code [purge, url]}; the root is {@code []}. */
    static List<List<String>> commands() {
        CommandLine root = new CommandLine(new OutpostCli(null));
        List<List<String>> out = new ArrayList<>();
        walk(root, new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        for (var e : cl.getSubcommands().entrySet()) {
            if (!e.getKey().equals(e.getValue().getCommandName())) {
                continue; // an alias
            }
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            walk(e.getValue(), p, out);
        }
    }

    @Test
    void everyCommandAnswersHelpInBothForms() {
        List<List<String>> commands = commands();
        assertThat(commands).as("the tree walk finds the commands").hasSizeGreaterThanOrEqualTo(20);
        for (List<String> command : commands) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(command);
                args.add(flag);
                Run r = cli(args);
                String line = "outpost " + String.join(" ", args);
                assertThat(r.code()).as(line + " exits 0; stderr: " + r.err()).isZero();
                assertThat(r.err()).as(line + " writes nothing to stderr").isEmpty();
                assertThat(r.out()).as(line + " prints the usage of that command")
                        .contains("Usage: " + String.join(" ", prepend("outpost", command)) + " ");
            }
        }
    }

    @Test
    void everyUsageErrorIsOneLineWithAHintThatWorks() {
        Pattern hint = Pattern.compile("\\(see '([^']+)'\\)$");
        for (List<String> command : commands()) {
            if (command.equals(List.of("help")) || command.equals(List.of("dns", "help"))) {
                continue; // help takes any command name, and no options to get wrong
            }
            List<String> args = new ArrayList<>(command);
            args.add("--no-such-option");
            Run r = cli(args);
            String line = "outpost " + String.join(" ", args);
            assertThat(r.code()).as(line + " is a usage error; stderr: " + r.err()).isEqualTo(OutpostCli.EXIT_USAGE);
            assertThat(r.err().lines().toList()).as(line + ": one line").hasSize(1);
            String err = r.err().strip();
            assertThat(err).as(line + " says what is wrong").startsWith("outpost: ")
                    .containsAnyOf("Unknown option: '--no-such-option'", "Missing required");
            Matcher m = hint.matcher(err);
            assertThat(m.find()).as(line + " ends with a hint: " + err).isTrue();
            List<String> hinted = Arrays.asList(m.group(1).split(" "));
            assertThat(hinted.getFirst()).isEqualTo("outpost");
            Run help = cli(hinted.subList(1, hinted.size()));
            assertThat(help.code()).as("the hint '" + m.group(1) + "' works; stderr: " + help.err()).isZero();
            assertThat(help.out()).contains("Usage: " + String.join(" ", prepend("outpost", command)) + " ");
        }
    }

    @Test
    void aGroupWithoutASubcommandNamesTheSubcommands() {
        for (String group : List.of("purge", "config")) {
            Run r = cli(List.of(group));
            assertThat(r.code()).isEqualTo(OutpostCli.EXIT_USAGE);
            assertThat(r.err().lines().toList()).hasSize(1);
            assertThat(r.err()).startsWith("outpost: missing subcommand: one of ")
                    .contains("(see 'outpost " + group + " --help')");
        }
        assertThat(cli(List.of("purge")).err()).contains("url, prefix, tag, host, all");
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> l = new ArrayList<>();
        l.add(first);
        l.addAll(rest);
        return l;
    }
}
