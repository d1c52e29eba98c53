package console_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestEditUser: an admin changes an account's role and estates (in force
// at its next request) and password (which signs it out); bad fields are
// refused next to them with nothing saved; an admin cannot demote or
// limit themself; a stale form does not overwrite.
func TestEditUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.client(t)
	admin.mustSignIn("admin")
	staff := f.client(t)
	staff.mustSignIn("staff-north")
	if status, _, _ := staff.do("GET", "/console/residents/s1", nil); status != http.StatusNotFound {
		t.Fatalf("staff of north opens south's resident: %d", status)
	}

	form := func(login string) url.Values {
		t.Helper()
		status, _, body := admin.do("GET", "/console/users/"+login+"/edit", nil)
		if status != http.StatusOK {
			t.Fatalf("the edit form of %s = %d", login, status)
		}
		return url.Values{"csrf": {csrfField.FindStringSubmatch(body)[1]}, "version": {versionField.FindStringSubmatch(body)[1]}}
	}
	v := form("staff-north")
	v.Set("name", "李工")
	v.Set("role", "manager")
	v["estates"] = []string{"north", "south"}
	status, loc, body := admin.do("POST", "/console/users/staff-north", v)
	if status != http.StatusSeeOther || loc != "/console/users?saved=staff-north" {
		t.Fatalf("save = %d %q: %s", status, loc, body)
	}
	u, _ := f.store.ConsoleUser(t.Context(), "staff-north")
	must(t, u.Role == outreach.RoleManager && slices.Equal(u.Estates, []string{"north", "south"}) && u.Name == "李工", "after the save: %+v", u)
	if status, _, _ := staff.do("GET", "/console/residents/s1", nil); status != http.StatusOK {
		t.Errorf("with south added, the same session opens south's resident: %d", status)
	}
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "admin", Limit: 1})
	must(t, len(log) == 1 && log[0].Action == "user_edit" && log[0].Target == "staff-north" && log[0].Detail == "role manager, estates north,south", "audit: %+v", log)

	// Bad fields, nothing saved.
	v = form("staff-north")
	v.Set("role", "boss")
	v["estates"] = []string{"atlantis"}
	v.Set("password", "short")
	status, _, body = admin.do("POST", "/console/users/staff-north", v, "Accept-Language", "zh-CN")
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-role"`) && strings.Contains(body, `id="err-estates"`) && strings.Contains(body, `id="err-password"`), "bad fields = %d", status)
	if after, _ := f.store.ConsoleUser(t.Context(), "staff-north"); !after.UpdatedAt.Equal(u.UpdatedAt) {
		t.Error("a refused form changed the account")
	}
	// A new password signs the account out.
	v = form("staff-north")
	v.Set("role", "staff")
	v.Set("password", "another long password")
	status, _, _ = admin.do("POST", "/console/users/staff-north", v)
	must(t, status == http.StatusSeeOther, "new password = %d", status)
	if status, _, _ := staff.do("GET", "/console/residents", nil); status != http.StatusSeeOther {
		t.Errorf("after a new password the old session = %d, want 303 to the login", status)
	}
	if status, _, _ := f.client(t).signIn("staff-north", "another long password"); status != http.StatusSeeOther {
		t.Errorf("sign in with the new password = %d", status)
	}
	// Not oneself.
	v = form("admin")
	v.Set("role", "manager")
	status, _, body = admin.do("POST", "/console/users/admin", v)
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-role">You cannot take away your own admin role`), "demote oneself = %d", status)
	v.Set("role", "admin")
	v["estates"] = []string{"north"}
	status, _, _ = admin.do("POST", "/console/users/admin", v)
	must(t, status == http.StatusBadRequest, "limit oneself = %d", status)
	// Stale.
	v = form("auditor")
	if _, err := f.store.UpdateConsoleUser(t.Context(), "auditor", outreach.ConsoleUserChange{Name: new("someone else's change")}); err != nil {
		t.Fatal(err)
	}
	v.Set("role", "admin")
	status, _, body = admin.do("POST", "/console/users/auditor", v)
	must(t, status == http.StatusConflict && strings.Contains(body, `id="stale"`), "stale = %d", status)
	if a, _ := f.store.ConsoleUser(t.Context(), "auditor"); a.Role != outreach.RoleAuditor {
		t.Errorf("a stale form made the auditor %s", a.Role)
	}
}
