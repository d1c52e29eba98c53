package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func consoleUser(id, login string, role outreach.ConsoleRole, estates ...string) outreach.ConsoleUser {
	return outreach.ConsoleUser{ID: id, Login: login, Name: "名字 " + login, Role: role, Estates: estates, PasswordHash: "$2a$04$hash-of-" + login}
}

func mustCreateConsoleUser(t *testing.T, s outreach.Store, u outreach.ConsoleUser) {
	t.Helper()
	if err := s.CreateConsoleUser(t.Context(), u); err != nil {
		t.Fatalf("CreateConsoleUser(%s): %v", u.Login, err)
	}
}

// testConsoleUsers: a user round-trips by id and by login with its
// estates as a sorted set and times in UTC; ids and logins are unique;
// the list is by login; bad users are refused.
func testConsoleUsers(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	u := consoleUser("usr_000000000001", "li.manager", outreach.RoleManager, "sunshine", "harbour", "sunshine")
	u.CreatedAt = base.In(shanghai)
	mustCreateConsoleUser(t, s, u)
	mustCreateConsoleUser(t, s, consoleUser("usr_000000000002", "admin", outreach.RoleAdmin))

	want := u
	want.Estates = []string{"harbour", "sunshine"}
	want.CreatedAt, want.UpdatedAt = stored(base), stored(base)
	for _, key := range []string{u.ID, u.Login} {
		got, err := s.ConsoleUser(t.Context(), key)
		if err != nil {
			t.Fatalf("ConsoleUser(%s): %v", key, err)
		}
		if d := timeDiff("CreatedAt", got.CreatedAt, want.CreatedAt); d != "" {
			t.Error(d)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ConsoleUser(%s) = %+v, want %+v", key, got, want)
		}
	}
	list, err := s.ConsoleUsers(t.Context())
	if err != nil {
		t.Fatalf("ConsoleUsers: %v", err)
	}
	if len(list) != 2 || list[0].Login != "admin" || list[1].Login != "li.manager" || list[0].Estates != nil {
		t.Errorf("ConsoleUsers = %+v, want admin (no estates) then li.manager", list)
	}
	for _, dup := range []outreach.ConsoleUser{
		consoleUser("usr_000000000001", "other", outreach.RoleStaff),
		consoleUser("usr_000000000003", "li.manager", outreach.RoleStaff),
	} {
		if err := s.CreateConsoleUser(t.Context(), dup); !errors.Is(err, outreach.ErrExists) {
			t.Errorf("CreateConsoleUser(%s, %s): error = %v, want ErrExists", dup.ID, dup.Login, err)
		}
	}
	bad := []outreach.ConsoleUser{
		consoleUser("", "nobody", outreach.RoleStaff),
		consoleUser("usr_000000000004", "Upper", outreach.RoleStaff),
		consoleUser("usr_000000000005", "x", "root"),
		consoleUser("usr_000000000006", "y", outreach.RoleStaff, "Not An Estate"),
		{ID: "usr_000000000007", Login: "z", Role: outreach.RoleStaff},
	}
	for _, b := range bad {
		if err := s.CreateConsoleUser(t.Context(), b); err == nil || errors.Is(err, outreach.ErrExists) {
			t.Errorf("CreateConsoleUser(%+v): error = %v, want a validation error", b, err)
		}
	}
	for _, key := range []string{"nobody", "", "usr_000000000009"} {
		if _, err := s.ConsoleUser(t.Context(), key); !errors.Is(err, outreach.ErrNotFound) {
			t.Errorf("ConsoleUser(%q): error = %v, want ErrNotFound", key, err)
		}
	}
}

// testConsoleUserUpdate: changes apply field by field; a new password or
// disabling ends the user's sessions, other changes keep them.
func testConsoleUserUpdate(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ctx := t.Context()
	mustCreateConsoleUser(t, s, consoleUser("usr_000000000001", "wang", outreach.RoleStaff, "sunshine"))
	mustCreateConsoleUser(t, s, consoleUser("usr_000000000002", "zhao", outreach.RoleStaff))
	session := func(hash, user string) {
		t.Helper()
		if err := s.CreateConsoleSession(ctx, outreach.ConsoleSession{Hash: hash, UserID: user, CSRF: "csrf-" + hash}); err != nil {
			t.Fatalf("CreateConsoleSession(%s): %v", hash, err)
		}
	}
	alive := func(hash string) bool {
		t.Helper()
		_, err := s.ConsoleSession(ctx, hash)
		if err != nil && !errors.Is(err, outreach.ErrNotFound) {
			t.Fatalf("ConsoleSession(%s): %v", hash, err)
		}
		return err == nil
	}
	session("s1", "usr_000000000001")
	session("s2", "usr_000000000002")

	role, estates, name := outreach.RoleManager, []string{"harbour", "sunshine"}, "王主管"
	got, err := s.UpdateConsoleUser(ctx, "wang", outreach.ConsoleUserChange{Role: &role, Estates: &estates, Name: &name})
	if err != nil {
		t.Fatalf("UpdateConsoleUser: %v", err)
	}
	if got.Role != role || !reflect.DeepEqual(got.Estates, estates) || got.Name != name || got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("after a change of role, estates and name: %+v", got)
	}
	if !alive("s1") {
		t.Error("a change of role ended the user's session; only a password or disabling should")
	}
	hash := "$2a$04$new"
	if _, err := s.UpdateConsoleUser(ctx, "usr_000000000001", outreach.ConsoleUserChange{PasswordHash: &hash}); err != nil {
		t.Fatalf("UpdateConsoleUser(password): %v", err)
	}
	if alive("s1") {
		t.Error("a new password kept the user's session")
	}
	if !alive("s2") {
		t.Error("another user's password ended zhao's session")
	}
	yes := true
	got, err = s.UpdateConsoleUser(ctx, "zhao", outreach.ConsoleUserChange{Disabled: &yes})
	if err != nil || !got.Disabled {
		t.Fatalf("UpdateConsoleUser(disable) = %+v, %v", got, err)
	}
	if alive("s2") {
		t.Error("disabling kept the user's session")
	}
	if again, _ := s.ConsoleUser(ctx, "wang"); again.PasswordHash != hash {
		t.Errorf("stored hash %q, want %q", again.PasswordHash, hash)
	}
	bad := outreach.RoleManager + "x"
	if _, err := s.UpdateConsoleUser(ctx, "wang", outreach.ConsoleUserChange{Role: &bad}); err == nil {
		t.Error("UpdateConsoleUser took an unknown role")
	}
	if _, err := s.UpdateConsoleUser(ctx, "nobody", outreach.ConsoleUserChange{Disabled: &yes}); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("UpdateConsoleUser(nobody): error = %v, want ErrNotFound", err)
	}
}

// testConsoleSessions: sessions round-trip, are touched, deleted and
// pruned by idle and absolute age; a session needs an existing user.
func testConsoleSessions(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ctx := t.Context()
	mustCreateConsoleUser(t, s, consoleUser("usr_000000000001", "wang", outreach.RoleStaff))
	cs := outreach.ConsoleSession{Hash: "h1", UserID: "usr_000000000001", CSRF: "c1", Addr: "192.0.2.1", CreatedAt: base.In(shanghai)}
	if err := s.CreateConsoleSession(ctx, cs); err != nil {
		t.Fatalf("CreateConsoleSession: %v", err)
	}
	got, err := s.ConsoleSession(ctx, "h1")
	if err != nil {
		t.Fatalf("ConsoleSession: %v", err)
	}
	want := cs
	want.CreatedAt, want.LastSeenAt = stored(base), stored(base)
	if d := timeDiff("LastSeenAt", got.LastSeenAt, want.LastSeenAt); d != "" {
		t.Error(d)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConsoleSession = %+v, want %+v", got, want)
	}
	if err := s.CreateConsoleSession(ctx, cs); !errors.Is(err, outreach.ErrExists) {
		t.Errorf("CreateConsoleSession(same hash): error = %v, want ErrExists", err)
	}
	if err := s.CreateConsoleSession(ctx, outreach.ConsoleSession{Hash: "h9", UserID: "usr_nobody", CSRF: "c"}); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("CreateConsoleSession(unknown user): error = %v, want ErrNotFound", err)
	}
	if err := s.TouchConsoleSession(ctx, "h1", base.Add(10*time.Minute)); err != nil {
		t.Fatalf("TouchConsoleSession: %v", err)
	}
	if got, _ := s.ConsoleSession(ctx, "h1"); !got.LastSeenAt.Equal(base.Add(10 * time.Minute)) {
		t.Errorf("LastSeenAt after touch = %v", got.LastSeenAt)
	}
	if err := s.TouchConsoleSession(ctx, "nope", base); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("TouchConsoleSession(nope): error = %v, want ErrNotFound", err)
	}
	// h2: new, recently seen; h3: old but recently seen (absolute); h1:
	// idle since base+10m.
	for _, c := range []outreach.ConsoleSession{
		{Hash: "h2", UserID: "usr_000000000001", CSRF: "c2", CreatedAt: base.Add(50 * time.Minute)},
		{Hash: "h3", UserID: "usr_000000000001", CSRF: "c3", CreatedAt: base.Add(-48 * time.Hour), LastSeenAt: base.Add(55 * time.Minute)},
	} {
		if err := s.CreateConsoleSession(ctx, c); err != nil {
			t.Fatalf("CreateConsoleSession(%s): %v", c.Hash, err)
		}
	}
	n, err := s.PruneConsoleSessions(ctx, base.Add(30*time.Minute), base.Add(-24*time.Hour))
	if err != nil || n != 2 {
		t.Errorf("PruneConsoleSessions = %d, %v; want 2 (h1 idle, h3 too old)", n, err)
	}
	if _, err := s.ConsoleSession(ctx, "h2"); err != nil {
		t.Errorf("h2 was pruned: %v", err)
	}
	if err := s.DeleteConsoleSession(ctx, "h2"); err != nil {
		t.Fatalf("DeleteConsoleSession: %v", err)
	}
	if _, err := s.ConsoleSession(ctx, "h2"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("ConsoleSession after delete: error = %v, want ErrNotFound", err)
	}
	if err := s.DeleteConsoleSession(ctx, "h2"); err != nil {
		t.Errorf("DeleteConsoleSession(gone): %v, want nil", err)
	}
}

// testAuditLog: entries come back newest first, filtered by actor, in
// keyset pages.
func testAuditLog(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ctx := t.Context()
	for i, a := range []outreach.AuditEntry{
		{Actor: "admin", Action: "login", Addr: "192.0.2.1", At: base.In(shanghai)},
		{Actor: "admin", Action: "user_add", Target: "wang", Detail: "role staff"},
		{Actor: "wang", Action: "login_failed"},
		{Actor: "admin", Action: "logout"},
	} {
		if err := s.RecordAudit(ctx, a); err != nil {
			t.Fatalf("RecordAudit(%d): %v", i, err)
		}
	}
	if err := s.RecordAudit(ctx, outreach.AuditEntry{Actor: "admin"}); err == nil {
		t.Error("RecordAudit took an entry without an action")
	}
	all, err := s.Audit(ctx, outreach.AuditFilter{})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	var actions []string
	for _, a := range all {
		actions = append(actions, a.Action)
	}
	if !reflect.DeepEqual(actions, []string{"logout", "login_failed", "user_add", "login"}) {
		t.Errorf("Audit actions = %v, want newest first", actions)
	}
	if last := all[len(all)-1]; !last.At.Equal(base) || last.At.Location() != time.UTC || last.Addr != "192.0.2.1" {
		t.Errorf("first entry = %+v, want at %v UTC from 192.0.2.1", last, base)
	}
	page, err := s.Audit(ctx, outreach.AuditFilter{Actor: "admin", Limit: 2})
	if err != nil || len(page) != 2 || page[0].Action != "logout" || page[1].Action != "user_add" {
		t.Fatalf("Audit(admin, 2) = %+v, %v", page, err)
	}
	next, err := s.Audit(ctx, outreach.AuditFilter{Actor: "admin", Limit: 2, Before: page[1].Seq})
	if err != nil || len(next) != 1 || next[0].Action != "login" {
		t.Errorf("Audit(admin, next page) = %+v, %v", next, err)
	}
}
