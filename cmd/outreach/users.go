package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// cmdUsers manages the web console's accounts in the archive database:
// add, list, disable (which signs the user out everywhere), enable,
// passwd. Passwords come from the first line of stdin or of
// --password-file, never from a flag value that ps would show. Every
// change goes into the console's audit log, as done by "cli".
func cmdUsers(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "usage: outreach users add --login LOGIN --role admin|manager|staff|auditor [--name NAME] [--estates A,B] [--password-file F] [--json]")
		fmt.Fprintln(e.stderr, "       outreach users list [--json]")
		fmt.Fprintln(e.stderr, "       outreach users disable LOGIN|ID")
		fmt.Fprintln(e.stderr, "       outreach users enable LOGIN|ID")
		fmt.Fprintln(e.stderr, "       outreach users passwd LOGIN|ID [--password-file F]")
		fmt.Fprintln(e.stderr, "The password is the first line of stdin, or of --password-file.")
		return 2
	}
	switch args[0] {
	case "add":
		return usersAdd(ctx, e, args[1:])
	case "list":
		return usersList(ctx, e, args[1:])
	case "disable", "enable":
		return usersDisable(ctx, e, args[0], args[1:])
	case "passwd":
		return usersPasswd(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "outreach users: unknown subcommand %q (want add, list, disable, enable or passwd)\n", args[0])
	return 2
}

// readPassword reads the password: the first line of file, or of stdin
// when file is "" (without its line ending).
func (e *env) readPassword(file string) (string, error) {
	var r io.Reader = e.stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	if r == nil {
		return "", errors.New("no password: give it on stdin or with --password-file")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password: give it on stdin (one line) or with --password-file")
	}
	return line, nil
}

func usersAdd(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	login := fs.String("login", "", "what the person signs in with (lower-case letters, digits, . _ - @), unique")
	name := fs.String("name", "", "the person's name, shown in the console and the audit log")
	roleName := fs.String("role", "", "admin (everything, accounts too), manager (residents, campaigns, templates, archive), staff (residents, archive, notes), auditor (reads only)")
	estateList := fs.String("estates", "", "comma-separated estate ids: the user sees only their residents, campaigns and archive (others are not found); empty: every estate")
	passwordFile := fs.String("password-file", "", "read the password from the first line of this file instead of stdin")
	asJSON := fs.Bool("json", false, "print the user as one JSON object")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	role, err := outreach.ParseConsoleRole(*roleName)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: --role: %v\n", err)
		return 2
	}
	estates, err := outreach.ParseEstateIDs(*estateList)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: --estates: %v\n", err)
		return 2
	}
	if err := outreach.CheckConsoleLogin(strings.ToLower(strings.TrimSpace(*login))); err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: --login: %v\n", err)
		return 2
	}
	password, err := e.readPassword(*passwordFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: %v\n", err)
		return 2
	}
	u, err := outreach.NewConsoleUser(*login, *name, role, estates, password)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: %v\n", err)
		return 2
	}
	st, status := e.openStore(ctx)
	if st == nil {
		return status
	}
	defer st.Close()
	for _, id := range estates {
		if _, err := st.Estate(ctx, id); errors.Is(err, outreach.ErrNotFound) {
			fmt.Fprintf(e.stderr, "outreach users add: --estates: unknown estate %q (see `outreach estates list`)\n", id)
			return 2
		} else if err != nil {
			return e.fail("users add", err)
		}
	}
	if err := st.CreateConsoleUser(ctx, u); err != nil {
		if errors.Is(err, outreach.ErrExists) {
			return e.fail("users add", fmt.Errorf("a user with the login %q exists already", u.Login))
		}
		return e.fail("users add", err)
	}
	if err := st.RecordAudit(ctx, outreach.AuditEntry{Actor: "cli", Action: "user_add", Target: u.Login,
		Detail: fmt.Sprintf("role %s, %s", u.Role, describeEstates(u.Estates))}); err != nil {
		return e.fail("users add", err)
	}
	if *asJSON {
		return e.printJSON("users add", u)
	}
	fmt.Fprintf(e.stdout, "added %s (%s), role %s, for %s; they sign in at /console/\n", u.Login, u.ID, u.Role, describeEstates(u.Estates))
	return 0
}

func usersList(ctx context.Context, e *env, args []string) int {
	return listCommand(ctx, e, "users list", args, outreach.Store.ConsoleUsers,
		[]string{"ID", "LOGIN", "NAME", "ROLE", "ESTATES", "STATE", "CREATED", "UPDATED"},
		func(u outreach.ConsoleUser) []string {
			state := "active"
			if u.Disabled {
				state = "disabled"
			}
			return []string{u.ID, u.Login, u.Name, string(u.Role), estatesCell(u.Estates), state,
				localTime(&u.CreatedAt), localTime(&u.UpdatedAt)}
		})
}

func usersDisable(ctx context.Context, e *env, verb string, args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(e.stderr, "usage: outreach users %s LOGIN|ID\n", verb)
		return 2
	}
	st, status := e.openStore(ctx)
	if st == nil {
		return status
	}
	defer st.Close()
	disabled := verb == "disable"
	u, err := st.UpdateConsoleUser(ctx, args[0], outreach.ConsoleUserChange{Disabled: &disabled})
	if errors.Is(err, outreach.ErrNotFound) {
		return e.fail("users "+verb, fmt.Errorf("no user with the login or id %q (see `outreach users list`)", args[0]))
	}
	if err != nil {
		return e.fail("users "+verb, err)
	}
	if err := st.RecordAudit(ctx, outreach.AuditEntry{Actor: "cli", Action: "user_" + verb, Target: u.Login}); err != nil {
		return e.fail("users "+verb, err)
	}
	if disabled {
		fmt.Fprintf(e.stdout, "disabled %s (%s): signed out everywhere, cannot sign in\n", u.Login, u.ID)
	} else {
		fmt.Fprintf(e.stdout, "enabled %s (%s): can sign in again\n", u.Login, u.ID)
	}
	return 0
}

func usersPasswd(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("users passwd", flag.ContinueOnError)
	passwordFile := fs.String("password-file", "", "read the new password from the first line of this file instead of stdin")
	var who string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		who, args = args[0], args[1:]
	}
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	if who == "" {
		fmt.Fprintln(e.stderr, "usage: outreach users passwd LOGIN|ID [--password-file F] (the password on stdin)")
		return 2
	}
	password, err := e.readPassword(*passwordFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users passwd: %v\n", err)
		return 2
	}
	hash, err := outreach.HashPassword(password)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users passwd: %v\n", err)
		return 2
	}
	st, status := e.openStore(ctx)
	if st == nil {
		return status
	}
	defer st.Close()
	u, err := st.UpdateConsoleUser(ctx, who, outreach.ConsoleUserChange{PasswordHash: &hash})
	if errors.Is(err, outreach.ErrNotFound) {
		return e.fail("users passwd", fmt.Errorf("no user with the login or id %q (see `outreach users list`)", who))
	}
	if err != nil {
		return e.fail("users passwd", err)
	}
	if err := st.RecordAudit(ctx, outreach.AuditEntry{Actor: "cli", Action: "user_passwd", Target: u.Login}); err != nil {
		return e.fail("users passwd", err)
	}
	fmt.Fprintf(e.stdout, "changed the password of %s (%s); their sessions ended\n", u.Login, u.ID)
	return 0
}
