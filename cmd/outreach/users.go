package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// usersCmd manages the web console's accounts in the archive database:
// add, list, disable (which signs the user out everywhere), enable,
// passwd. Passwords come from the first line of stdin or of
// --password-file, never from a flag value that ps would show. Every
// change goes into the console's audit log, as done by "cli".
type usersCmd struct {
	Add     usersAddCmd     `cmd:"" help:"add an account; the password is the first line of stdin, or of --password-file"`
	List    usersListCmd    `cmd:"" help:"list the accounts"`
	Disable usersDisableCmd `cmd:"" help:"disable an account: signed out everywhere, cannot sign in"`
	Enable  usersEnableCmd  `cmd:"" help:"enable a disabled account again"`
	Passwd  usersPasswdCmd  `cmd:"" help:"set an account's password (the first line of stdin, or of --password-file); its sessions end"`
}

// loginArg is the account a command is about.
type loginArg struct {
	Who string `arg:"" name:"LOGIN|ID" help:"the account's login or id"`
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

type usersAddCmd struct {
	Login        string `placeholder:"L" help:"what the person signs in with (lower-case letters, digits, . _ - @), unique"`
	Name         string `help:"the person's name, shown in the console and the audit log"`
	Role         string `placeholder:"admin|manager|staff|auditor" help:"admin (everything, accounts too), manager (residents, campaigns, templates, archive), staff (residents, archive, notes), auditor (reads only)"`
	Estates      string `placeholder:"A,B" help:"comma-separated estate ids: the user sees only their residents, campaigns and archive (others are not found); empty: every estate"`
	PasswordFile string `name:"password-file" placeholder:"F" help:"read the password from the first line of this file instead of stdin"`
	JSON         bool   `name:"json" help:"print the user as one JSON object"`
}

func (c *usersAddCmd) run(ctx context.Context, e *env) int {
	role, err := outreach.ParseConsoleRole(c.Role)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: --role: %v\n", err)
		return 2
	}
	estates, err := outreach.ParseEstateIDs(c.Estates)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: --estates: %v\n", err)
		return 2
	}
	if err := outreach.CheckConsoleLogin(strings.ToLower(strings.TrimSpace(c.Login))); err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: --login: %v\n", err)
		return 2
	}
	password, err := e.readPassword(c.PasswordFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: %v\n", err)
		return 2
	}
	u, err := outreach.NewConsoleUser(c.Login, c.Name, role, estates, password)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users add: %v\n", err)
		return 2
	}
	st, _, status := e.openStore(ctx, "users add")
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
	if c.JSON {
		return e.printJSON("users add", u)
	}
	fmt.Fprintf(e.stdout, "added %s (%s), role %s, for %s; they sign in at /console/\n", u.Login, u.ID, u.Role, describeEstates(u.Estates))
	return 0
}

type usersListCmd struct{ listFlags }

func (c *usersListCmd) run(ctx context.Context, e *env) int {
	return listCommand(ctx, e, "users list", c.JSON, outreach.Store.ConsoleUsers,
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

type (
	usersDisableCmd struct{ loginArg }
	usersEnableCmd  struct{ loginArg }
)

func (c *usersDisableCmd) run(ctx context.Context, e *env) int {
	return usersDisable(ctx, e, "disable", c.Who)
}

func (c *usersEnableCmd) run(ctx context.Context, e *env) int {
	return usersDisable(ctx, e, "enable", c.Who)
}

func usersDisable(ctx context.Context, e *env, verb, who string) int {
	args := []string{who}
	st, _, status := e.openStore(ctx, "users "+verb)
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

type usersPasswdCmd struct {
	loginArg
	PasswordFile string `name:"password-file" placeholder:"F" help:"read the new password from the first line of this file instead of stdin"`
}

func (c *usersPasswdCmd) run(ctx context.Context, e *env) int {
	who := c.Who
	password, err := e.readPassword(c.PasswordFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users passwd: %v\n", err)
		return 2
	}
	hash, err := outreach.HashPassword(password)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach users passwd: %v\n", err)
		return 2
	}
	st, _, status := e.openStore(ctx, "users passwd")
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
