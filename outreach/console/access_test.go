package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestAccessMatrix is every page of the console (Console.Pages, the table
// the mux serves) x every role x estate limits: anonymous visitors are sent
// to the login; a role the page does not allow gets 403; a user limited
// to estate north never sees anything of south, neither in a list nor by
// a direct URL (404, exactly as for an id nobody has).
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pages := f.console.Pages()
	if len(pages) < 10 {
		t.Fatalf("Pages() lists %d pages", len(pages))
	}
	// What of south a page must not show to a user limited to north.
	southMarks := []string{"d-s1", "Sun South", `href="/console/residents/s1"`, "Welcome to South Bay", "South survey comment", "South campaign", "c-south", "Everyone greeting", "c-all", "C-s1", "South lift stuck"}

	for _, p := range pages {
		method, pattern, _ := strings.Cut(p.Pattern, " ")
		if p.Public {
			continue
		}
		for _, path := range concrete(pattern) {
			// Anonymous.
			status, loc, _ := f.client(t).do(method, path, form(method, ""))
			if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login") {
				t.Errorf("anonymous %s %s = %d %q, want 303 to the login", method, path, status, loc)
			}
			for _, fu := range fixtureUsers {
				allowed := slices.Contains(p.Roles, fu.role) && (!p.AllEstates || len(fu.estates) == 0)
				sees := func(estate string) bool { return len(fu.estates) == 0 || slices.Contains(fu.estates, estate) }
				c, csrf := f.sessionFor(t, fu.login)
				// Without the CSRF token, every POST is refused, allowed or not.
				if method == http.MethodPost {
					if status, _, _ := c.do(method, path, url.Values{}); status != http.StatusForbidden {
						t.Errorf("%s: %s %s without the CSRF token = %d, want 403", fu.login, method, path, status)
					}
				}
				status, _, body := c.do(method, path, form(method, csrf))
				want := expected(method, path, allowed, sees)
				if status != want {
					t.Errorf("%s (%s, estates %v): %s %s = %d, want %d", fu.login, fu.role, fu.estates, method, path, status, want)
					continue
				}
				if status == http.StatusOK && !sees("south") {
					for _, m := range southMarks {
						if strings.Contains(body, m) {
							t.Errorf("%s: %s %s shows %q of estate south", fu.login, method, path, m)
						}
					}
				}
				if status == http.StatusNotFound {
					_, _, nobody := c.do(method, strings.NewReplacer("d-s1", "d-none", "/s1", "/none", "/c-south", "/c-none", "/c-all", "/c-none", "/C-s1", "/C-none").Replace(path), form(method, csrf))
					// The pages differ in the language switch's way back only.
					if langLink.ReplaceAllString(nobody, "") != langLink.ReplaceAllString(body, "") {
						t.Errorf("%s: %s %s: the 404 differs from the one for an id nobody has", fu.login, method, path)
					}
				}
			}
		}
	}
}

var langLink = regexp.MustCompile(`id="lang" href="[^"]*"`)

// concrete are the paths a pattern is tried with: an object of each
// estate for the pages of one record, the lists filtered to south too.
func concrete(pattern string) []string {
	switch pattern {
	case "/console/{$}":
		return []string{"/console/"}
	case "/console/archive":
		return []string{"/console/archive", "/console/archive?estate=south", "/console/archive?resident=s1", "/console/archive?building=9"}
	case "/console/residents":
		return []string{"/console/residents", "/console/residents?estate=south", "/console/residents?building=9"}
	case "/console/archive/export":
		return []string{"/console/archive/export", "/console/archive/export?estate=south", "/console/archive/export?resident=s1&bom=1"}
	case "/console/archive/deliveries/{id}/note":
		return []string{"/console/archive/deliveries/d-n1/note", "/console/archive/deliveries/d-s1/note"}
	case "/console/archive/deliveries/{id}":
		return []string{"/console/archive/deliveries/d-n1", "/console/archive/deliveries/d-s1"}
	case "/console/satisfaction":
		return []string{"/console/satisfaction", "/console/satisfaction?estate=south", "/console/satisfaction?by=building&building=9"}
	case "/console/satisfaction/surveys/{id}/callback":
		return []string{"/console/satisfaction/surveys/sv-n1/callback", "/console/satisfaction/surveys/sv-s1/callback"}
	case "/console/residents/{id}":
		return []string{"/console/residents/n1", "/console/residents/s1"}
	case "/console/templates":
		return []string{"/console/templates", "/console/templates?template=welcome&resident=s1", "/console/templates?template=welcome&resident=n1"}
	case "/console/residents/{id}/edit":
		return []string{"/console/residents/n1/edit", "/console/residents/s1/edit"}
	case "/console/residents/{id}/optouts":
		return []string{"/console/residents/n1/optouts", "/console/residents/s1/optouts"}
	case "/console/import/{id}":
		return []string{"/console/import/none"}
	case "/console/import/{id}/commit":
		return []string{"/console/import/none/commit"}
	case "/console/campaigns":
		return []string{"/console/campaigns", "/console/campaigns?estate=south", "/console/campaigns?state=scheduled"}
	case "/console/campaigns/{id}":
		return []string{"/console/campaigns/c-north", "/console/campaigns/c-south", "/console/campaigns/c-all"}
	case "/console/campaigns/{id}/pause", "/console/campaigns/{id}/resume", "/console/campaigns/{id}/cancel":
		// In the table's order: pause, resume, then cancel, which is
		// final; cancelling a cancelled campaign changes nothing.
		op := pattern[strings.LastIndex(pattern, "/"):]
		return []string{"/console/campaigns/c-north" + op, "/console/campaigns/c-south" + op, "/console/campaigns/c-all" + op}
	case "/console/cases":
		return []string{"/console/cases", "/console/cases?estate=south", "/console/cases?list=overdue", "/console/cases?list=all&category=lift"}
	case "/console/cases/{id}":
		return []string{"/console/cases/C-n1", "/console/cases/C-s1"}
	case "/console/cases/{id}/acknowledge", "/console/cases/{id}/assign", "/console/cases/{id}/resolve", "/console/cases/{id}/close":
		step := pattern[strings.LastIndex(pattern, "/"):]
		return []string{"/console/cases/C-n1" + step, "/console/cases/C-s1" + step}
	case "/console/deadletters/{shard}/{id}":
		return []string{"/console/deadletters/0/1-1"}
	case "/console/deadletters/{shard}/{id}/requeue":
		return []string{"/console/deadletters/0/1-1/requeue"}
	case "/console/users/{login}/edit":
		return []string{"/console/users/auditor/edit"}
	case "/console/users/{login}":
		return []string{"/console/users/nobody"}
	case "/console/users/{login}/disable":
		return []string{"/console/users/nobody/disable"}
	case "/console/users/{login}/enable":
		return []string{"/console/users/nobody/enable"}
	}
	return []string{pattern}
}

// expected is the status a signed-in user gets.
func expected(method, path string, allowed bool, sees func(string) bool) int {
	switch {
	case !allowed:
		return http.StatusForbidden
	case strings.HasPrefix(path, "/console/templates?") && strings.Contains(path, "resident=s1") && !sees("south"):
		return http.StatusBadRequest // refused next to the field, as a resident nobody has
	case strings.HasPrefix(path, "/console/residents/") && (strings.Contains(path, "/s1/") || strings.HasSuffix(path, "/s1")) && !sees("south"):
		return http.StatusNotFound
	case strings.HasPrefix(path, "/console/residents/") && method == http.MethodPost && !strings.HasSuffix(path, "/optouts"):
		return http.StatusBadRequest // the empty edit form: the name is required, nothing is saved
	case strings.HasPrefix(path, "/console/residents/") && method == http.MethodPost:
		return http.StatusSeeOther // no opt-out changed: nothing to do
	case strings.HasPrefix(path, "/console/import/"):
		return http.StatusNotFound // no import of that id (another user's is not found either)
	case path == "/console/import" && method == http.MethodPost:
		return http.StatusBadRequest // no file: nothing is read
	case strings.HasPrefix(path, "/console/cases/"):
		// The matrix's form has no seen state: refused, nothing changed;
		// south's case is not found by those who do not see south.
		switch {
		case strings.Contains(path, "/C-s1") && !sees("south"):
			return http.StatusNotFound
		case method == http.MethodPost:
			return http.StatusBadRequest
		}
		return http.StatusOK
	case strings.HasSuffix(path, "/callback"):
		// The empty note is refused next to the field; south's survey is
		// not found by those who do not see south.
		if strings.Contains(path, "/sv-s1/") && !sees("south") {
			return http.StatusNotFound
		}
		return http.StatusBadRequest
	case strings.HasSuffix(path, "/s1") || strings.Contains(path, "/d-s1") || strings.Contains(path, "/c-south"):
		switch {
		case !sees("south"):
			return http.StatusNotFound
		case method == http.MethodPost:
			return http.StatusSeeOther
		}
		return http.StatusOK
	case strings.Contains(path, "/c-all"):
		// A campaign to every estate is no limited user's.
		switch {
		case !sees("south"):
			return http.StatusNotFound
		case method == http.MethodPost:
			return http.StatusConflict // a done campaign is not paused, resumed or cancelled
		}
		return http.StatusOK
	case strings.HasPrefix(path, "/console/campaigns") && !strings.HasPrefix(path, "/console/campaigns/") && method == http.MethodPost:
		return http.StatusBadRequest // the empty form: nothing is created
	case strings.HasPrefix(path, "/console/deadletters/"):
		return http.StatusNotFound // the fixture has no queue: no dead letter
	case strings.HasPrefix(path, "/console/campaigns/") && method == http.MethodPost:
		return http.StatusSeeOther
	case strings.HasSuffix(path, "/note"):
		return http.StatusSeeOther
	case path == "/console/", path == "/console/logout":
		return http.StatusSeeOther
	case path == "/console/users" && method == http.MethodPost:
		return http.StatusBadRequest // the empty form: nothing is added
	case strings.HasSuffix(path, "/disable"), strings.HasSuffix(path, "/enable"), path == "/console/users/nobody":
		return http.StatusNotFound // nobody: nobody is disabled or enabled
	}
	return http.StatusOK
}

func form(method, csrf string) url.Values {
	if method != http.MethodPost {
		return nil
	}
	return url.Values{"csrf": {csrf}}
}

// sessionFor is a client signed in as login, without the login form (the
// matrix makes hundreds), and its CSRF token.
func (f *fixture) sessionFor(t *testing.T, login string) (*client, string) {
	t.Helper()
	u, err := f.store.ConsoleUser(t.Context(), login)
	if err != nil {
		t.Fatal(err)
	}
	secret, csrf := "secret-"+randomID(), "csrf-"+randomID()
	if err := f.store.CreateConsoleSession(t.Context(), outreach.ConsoleSession{Hash: outreach.HashToken(secret), UserID: u.ID, CSRF: csrf, CreatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	base, _ := url.Parse(f.server.URL + "/console/")
	c.http.Jar.SetCookies(base, []*http.Cookie{{Name: "outreach_session", Value: secret, Path: "/console/"}})
	return c, csrf
}
