package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach/archive"
	"github.com/outreach-dev/outreach/outreach/console"
)

// TestFormBodyBounded: a form larger than MaxFormBytes is refused with 413
// before any page's handler runs (the login's included, which needs no
// session), and changes nothing; a form of the bound's size still works.
func TestFormBodyBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("admin")
	csrf := c.csrf("/console/archive")
	big := strings.Repeat("x", console.MaxFormBytes)
	status, _, body := c.do("POST", "/console/logout", url.Values{"csrf": {csrf}, "pad": {big}})
	must(t, status == http.StatusRequestEntityTooLarge && strings.Contains(body, "too large"), "logout with a form over the bound = %d %.200s, want 413", status, body)
	status, _, _ = c.do("GET", "/console/archive", nil)
	must(t, status == http.StatusOK, "after the refused logout GET /console/archive = %d, want still signed in", status)

	anon := f.client(t)
	token := anon.csrf("/console/login")
	status, _, _ = anon.do("POST", "/console/login", url.Values{"login": {"admin"}, "password": {password}, "csrf": {token}, "pad": {big}})
	must(t, status == http.StatusRequestEntityTooLarge, "login with a form over the bound = %d, want 413", status)

	status, loc, _ := c.do("POST", "/console/logout", url.Values{"csrf": {csrf}, "pad": {strings.Repeat("x", console.MaxFormBytes/2)}})
	must(t, status == http.StatusSeeOther && loc == "/console/login", "logout with a form within the bound = %d %q, want 303", status, loc)
}

// TestExportsBounded: the console's export takes a slot of the Slots the
// daemon shares with the API; with every slot taken (here by an export
// the test holds) it answers 429 with Retry-After, and once one is free
// it exports again.
func TestExportsBounded(t *testing.T) {
	t.Parallel()
	slots := archive.NewSlots(1)
	f := newFixtureWith(t, func(cfg *console.Config) { cfg.Exports = slots })
	c := f.client(t)
	c.mustSignIn("manager-north")
	release, ok := slots.TryAcquire()
	must(t, ok, "no free slot at the start")
	req, _ := http.NewRequest("GET", f.server.URL+"/console/archive/export", nil)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	must(t, res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") == archive.RetryAfter(),
		"export with every slot taken = %d Retry-After %q, want 429 with %s", res.StatusCode, res.Header.Get("Retry-After"), archive.RetryAfter())
	release()
	status, _, body := c.do("GET", "/console/archive/export", nil)
	must(t, status == http.StatusOK && strings.HasPrefix(body, "created_at,"), "export with a free slot = %d %.40q", status, body)
	_, ok = slots.TryAcquire()
	must(t, ok, "the export kept its slot after it ended")
}
