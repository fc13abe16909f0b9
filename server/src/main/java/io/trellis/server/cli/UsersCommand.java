package io.trellis.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code trellis ctl users list|add|delete|passwd}: the built-in database's users, through
 * {@code /api/v5/authentication/password_based:built_in_database/users}. A password left off the
 * command line is read from standard input (one line), so it need not appear in the process list
 * or the shell history. Nothing prints a password or hash.
 */
@Command(name = "users", description = "Users of the built-in database (password_based:built_in_database).",
        subcommands = {UsersCommand.ListUsers.class, UsersCommand.Add.class, UsersCommand.Delete.class,
                UsersCommand.Passwd.class})
final class UsersCommand {
    static final String PATH = "/api/v5/authentication/password_based:built_in_database/users";
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Ctl ctl;

    static String passwordOrStdin(String given) {
        if (given != null) return given;
        try {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isEmpty()) throw new CliException("no password given (pass it as an argument or on standard input)");
            return line;
        } catch (IOException e) {
            throw new CliException("cannot read the password from standard input: " + e.getMessage());
        }
    }

    @Command(name = "list", description = "All users (user id and superuser flag).")
    static final class ListUsers implements Callable<Integer> {
        @ParentCommand
        UsersCommand parent;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            var all = JSON.createArrayNode();
            for (int page = 1; ; page++) {
                JsonNode body = ctl.client().ok(ctl.client().get(PATH + "?limit=1000&page=" + page));
                body.path("data").forEach(all::add);
                if (!body.path("meta").path("hasnext").asBoolean(false)) break;
            }
            if (ctl.json) {
                ctl.printJson(all);
                return ExitCodes.OK;
            }
            Table t = new Table("USER_ID", "SUPERUSER");
            all.forEach(u -> t.row(u.path("user_id").asText(), u.path("is_superuser").asBoolean()));
            t.print(ctl.out());
            ctl.out().println(t.size() + " user(s)");
            return ExitCodes.OK;
        }
    }

    @Command(name = "add", description = "Add a user; the password is read from standard input when not given.")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        UsersCommand parent;

        @Parameters(index = "0", paramLabel = "USER_ID")
        String userId;

        @Parameters(index = "1", paramLabel = "PASSWORD", arity = "0..1")
        String password;

        @Option(names = "--superuser", description = "Superusers bypass authorization.")
        boolean superuser;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            ObjectNode body = JSON.createObjectNode().put("user_id", userId).put("password", passwordOrStdin(password))
                    .put("is_superuser", superuser);
            ctl.client().ok(ctl.client().sendJson("POST", PATH, body));
            ctl.out().println("user " + userId + " added");
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", description = "Delete a user.")
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        UsersCommand parent;

        @Parameters(paramLabel = "USER_ID")
        String userId;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            ctl.client().ok(ctl.client().delete(PATH + "/" + ApiClient.encode(userId)));
            ctl.out().println("user " + userId + " deleted");
            return ExitCodes.OK;
        }
    }

    @Command(name = "passwd", description = "Change a user's password (read from standard input when not given).")
    static final class Passwd implements Callable<Integer> {
        @ParentCommand
        UsersCommand parent;

        @Parameters(index = "0", paramLabel = "USER_ID")
        String userId;

        @Parameters(index = "1", paramLabel = "PASSWORD", arity = "0..1")
        String password;

        @Override
        public Integer call() {
            Ctl ctl = parent.ctl;
            ObjectNode body = JSON.createObjectNode().put("password", passwordOrStdin(password));
            ctl.client().ok(ctl.client().sendJson("PUT", PATH + "/" + ApiClient.encode(userId), body));
            ctl.out().println("password of user " + userId + " changed");
            return ExitCodes.OK;
        }
    }
}
