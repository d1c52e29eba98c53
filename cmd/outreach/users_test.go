package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
)

func runUsers(t *testing.T, environ map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return environ[k] }}
	status := runArgs(context.Background(), e, append([]string{"users"}, args...), false)
	return status, stdout.String(), stderr.String()
}

func TestUsersCommand(t *testing.T) {
	t.Parallel()
	url := "sqlite://" + filepath.Join(t.TempDir(), "outreach.db")
	environ := map[string]string{"OUTREACH_DATABASE_URL": url}

	if status, stdout, stderr := runUsers(t, environ, "correct horse battery\n", "add", "--login", "Li.Manager", "--name", "李经理", "--role", "manager", "--estates", "default"); status != 0 {
		t.Fatalf("add = %d %q %q", status, stdout, stderr)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("another long one\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if status, _, stderr := runUsers(t, environ, "", "add", "--login", "root", "--role", "admin", "--password-file", pwFile); status != 0 {
		t.Fatalf("add with --password-file = %d %q", status, stderr)
	}
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.ConsoleUser(t.Context(), "li.manager")
	if err != nil || u.Role != outreach.RoleManager || u.Name != "李经理" || len(u.Estates) != 1 {
		t.Fatalf("stored user %+v, %v", u, err)
	}
	if !outreach.CheckPassword(u.PasswordHash, "correct horse battery") || strings.Contains(u.PasswordHash, "horse") {
		t.Error("the stored hash does not check the password (or holds it)")
	}
	root, _ := st.ConsoleUser(t.Context(), "root")
	if !outreach.CheckPassword(root.PasswordHash, "another long one") {
		t.Error("--password-file: the line ending became part of the password")
	}

	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"correct horse battery\n", []string{"add", "--login", "x", "--role", "root"}},
		{"correct horse battery\n", []string{"add", "--login", "Has Space", "--role", "staff"}},
		{"short\n", []string{"add", "--login", "y", "--role", "staff"}},
		{"", []string{"add", "--login", "y", "--role", "staff"}},
		{"correct horse battery\n", []string{"add", "--login", "y", "--role", "staff", "--estates", "nowhere"}},
		{"", []string{"disable"}},
		{"", []string{"passwd"}},
		{"", []string{"rename"}},
	} {
		if status, _, _ := runUsers(t, environ, c.stdin, c.args...); status != 2 {
			t.Errorf("users %v = %d, want 2", c.args, status)
		}
	}
	if status, _, stderr := runUsers(t, environ, "correct horse battery\n", "add", "--login", "li.manager", "--role", "staff"); status != 1 || !strings.Contains(stderr, "exists") {
		t.Errorf("add with a login in use = %d %q", status, stderr)
	}

	if err := st.CreateConsoleSession(t.Context(), outreach.ConsoleSession{Hash: "h", UserID: u.ID, CSRF: "c"}); err != nil {
		t.Fatal(err)
	}
	if status, _, stderr := runUsers(t, environ, "a brand new password\n", "passwd", "li.manager"); status != 0 {
		t.Fatalf("passwd = %d %q", status, stderr)
	}
	u, _ = st.ConsoleUser(t.Context(), "li.manager")
	if !outreach.CheckPassword(u.PasswordHash, "a brand new password") {
		t.Error("passwd did not change the password")
	}
	if _, err := st.ConsoleSession(t.Context(), "h"); err == nil {
		t.Error("passwd kept the user's session")
	}
	if status, _, _ := runUsers(t, environ, "", "disable", "li.manager"); status != 0 {
		t.Fatal("disable failed")
	}
	if status, stdout, _ := runUsers(t, environ, "", "list"); status != 0 || !strings.Contains(stdout, "disabled") || !strings.Contains(stdout, "root") {
		t.Errorf("list = %d %q", status, stdout)
	}
	if status, _, _ := runUsers(t, environ, "", "disable", "nobody"); status != 1 {
		t.Errorf("disable nobody = %d, want 1", status)
	}
	log, err := st.Audit(t.Context(), outreach.AuditFilter{Actor: "cli"})
	if err != nil || len(log) != 4 || log[0].Action != "user_disable" || log[1].Action != "user_passwd" {
		t.Errorf("audit log = %+v, %v; want add, add, passwd, disable by cli", log, err)
	}
}
