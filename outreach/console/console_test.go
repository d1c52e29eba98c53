package console_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)

	if status, loc, _ := c.do("GET", "/console/archive?kind=welcome", nil); status != http.StatusSeeOther || loc != "/console/login?next=%2Fconsole%2Farchive%3Fkind%3Dwelcome" {
		t.Fatalf("anonymous GET /console/archive = %d %q, want 303 to the login, coming back after", status, loc)
	}
	if status, loc, _ := c.do("GET", "/", nil); status != http.StatusFound || loc != "/console/" {
		t.Errorf("GET / = %d %q, want 302 to /console/", status, loc)
	}
	status, _, body := c.signIn("admin", "wrong password")
	must(t, status == http.StatusUnauthorized && strings.Contains(body, "Wrong login or password"), "wrong password = %d", status)
	status, _, body = c.signIn("nobody", password)
	must(t, status == http.StatusUnauthorized && strings.Contains(body, "Wrong login or password"), "unknown login = %d, want the same answer as a wrong password", status)

	token := c.csrf("/console/login")
	status, loc, _ := c.do("POST", "/console/login", url.Values{"login": {"admin"}, "password": {password}, "csrf": {token}, "next": {"/console/residents"}})
	if status != http.StatusSeeOther || loc != "/console/residents" {
		t.Fatalf("sign in = %d %q, want 303 to next", status, loc)
	}
	u, _ := url.Parse(f.server.URL + "/console/")
	var session *http.Cookie
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "outreach_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	if status, _, body := c.do("GET", "/console/archive", nil); status != http.StatusOK || !strings.Contains(body, "d-s1") {
		t.Fatalf("GET /console/archive after sign-in = %d", status)
	}
	// Logout is a form with the CSRF token; without it, refused.
	if status, _, _ := c.do("POST", "/console/logout", url.Values{}); status != http.StatusForbidden {
		t.Errorf("logout without the CSRF token = %d, want 403", status)
	}
	csrf := c.csrf("/console/archive")
	if status, _, _ := c.do("POST", "/console/logout", url.Values{"csrf": {csrf}}, "Origin", "https://evil.example"); status != http.StatusForbidden {
		t.Errorf("logout from another origin = %d, want 403", status)
	}
	if status, loc, _ := c.do("POST", "/console/logout", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther || loc != "/console/login" {
		t.Errorf("logout = %d %q", status, loc)
	}
	if status, _, _ := c.do("GET", "/console/archive", nil); status != http.StatusSeeOther {
		t.Errorf("after logout GET /console/archive = %d, want 303 to the login", status)
	}
	log, err := f.store.Audit(t.Context(), outreach.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Actor+":"+a.Action)
	}
	if got := strings.Join(actions, " "); got != "admin:logout admin:login (invalid login):login_failed admin:login_failed" && got != "admin:logout admin:login nobody:login_failed admin:login_failed" {
		t.Errorf("audit log = %s", got)
	}
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	token := c.csrf("/console/login")
	req, _ := http.NewRequest("POST", f.server.URL+"/console/login", strings.NewReader(url.Values{"login": {"admin"}, "password": {password}, "csrf": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var got *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "outreach_session" && ck.Value != "" {
			got = ck
		}
	}
	if got == nil || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/console/" || got.Secure {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Lax, Path /console/, not Secure over http", got)
	}
	sessions := 0
	if _, err := f.store.ConsoleSession(t.Context(), outreach.HashToken(got.Value)); err == nil {
		sessions++
	}
	must(t, sessions == 1, "the store does not keep the session under the hash of the cookie")
	if _, err := f.store.ConsoleSession(t.Context(), got.Value); err == nil {
		t.Error("the store keeps the cookie's secret itself")
	}
}

func TestLoginNeedsItsCSRFToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.csrf("/console/login") // the cookie, but not the field
	if status, _, _ := c.do("POST", "/console/login", url.Values{"login": {"admin"}, "password": {password}}); status != http.StatusForbidden {
		t.Errorf("login without the form's token = %d, want 403", status)
	}
	other := f.client(t)
	if status, _, _ := other.do("POST", "/console/login", url.Values{"login": {"admin"}, "password": {password}, "csrf": {"guessed"}}); status != http.StatusForbidden {
		t.Errorf("login without the cookie = %d, want 403", status)
	}
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	for i := range 5 {
		if status, _, _ := c.signIn("manager-north", "wrong password"); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d = %d, want 401", i+1, status)
		}
	}
	status, _, body := c.signIn("manager-north", password)
	if status != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed attempts") {
		t.Fatalf("sign-in after 5 failures = %d, want 429 even with the right password", status)
	}
	// Another account from the same address is not locked (yet).
	if status, _, _ := f.client(t).signIn("staff-north", password); status != http.StatusSeeOther {
		t.Errorf("another account = %d, want 303", status)
	}
	f.clock.Add(16 * time.Minute)
	if status, _, _ := c.signIn("manager-north", password); status != http.StatusSeeOther {
		t.Errorf("after the window = %d, want 303", status)
	}
	// 20 failures from one address lock it for every account.
	c = f.client(t)
	for i := range 20 {
		c.signIn("nobody"+string(rune('a'+i)), "wrong password")
	}
	if status, _, _ := c.signIn("admin", password); status != http.StatusTooManyRequests {
		t.Errorf("after 20 failures from one address = %d, want 429", status)
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("admin")
	f.clock.Add(29 * time.Minute)
	if status, _, _ := c.do("GET", "/console/archive", nil); status != http.StatusOK {
		t.Fatalf("after 29 minutes idle = %d, want 200", status)
	}
	f.clock.Add(31 * time.Minute)
	if status, _, _ := c.do("GET", "/console/archive", nil); status != http.StatusSeeOther {
		t.Errorf("after 31 minutes idle = %d, want 303 to the login", status)
	}
	c.mustSignIn("admin")
	for range 25 { // busy, but for longer than 12 hours
		f.clock.Add(29 * time.Minute)
		c.do("GET", "/console/archive", nil)
	}
	if status, _, _ := c.do("GET", "/console/archive", nil); status != http.StatusSeeOther {
		t.Errorf("a session older than 12 hours = %d, want 303 to the login", status)
	}
}

func TestDisabledUserIsSignedOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	staff := f.client(t)
	staff.mustSignIn("staff-north")
	admin := f.client(t)
	admin.mustSignIn("admin")
	csrf := admin.csrf("/console/users")
	if status, _, _ := admin.do("POST", "/console/users/staff-north/disable", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("disable = %d", status)
	}
	if status, _, _ := staff.do("GET", "/console/archive", nil); status != http.StatusSeeOther {
		t.Errorf("a disabled user's session = %d, want 303 to the login", status)
	}
	if status, _, _ := f.client(t).signIn("staff-north", password); status != http.StatusUnauthorized {
		t.Errorf("a disabled user signs in: %d", status)
	}
	if status, _, _ := admin.do("POST", "/console/users/admin/disable", url.Values{"csrf": {csrf}}); status != http.StatusBadRequest {
		t.Errorf("disabling oneself = %d, want 400", status)
	}
	if status, _, _ := admin.do("POST", "/console/users/staff-north/enable", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("enable = %d", status)
	}
	if status, _, _ := f.client(t).signIn("staff-north", password); status != http.StatusSeeOther {
		t.Errorf("an enabled user cannot sign in: %d", status)
	}
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "admin", Limit: 2})
	must(t, len(log) == 2 && log[0].Action == "user_enable" && log[1].Action == "user_disable", "audit: %+v", log)
}

func TestAddUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("admin")
	csrf := c.csrf("/console/users")
	status, _, body := c.do("POST", "/console/users", url.Values{"csrf": {csrf}, "login": {"Bad Login"}, "role": {"root"}, "password": {"short"}, "estates": {"nowhere"}})
	must(t, status == http.StatusBadRequest, "bad user = %d, want 400", status)
	for _, msg := range []string{"1-64 lower-case letters", "Not a valid choice", "10 to 72 bytes"} {
		must(t, strings.Contains(body, msg), "the form does not say %q", msg)
	}
	if _, err := f.store.ConsoleUser(t.Context(), "bad login"); err == nil {
		t.Error("a bad user was stored")
	}
	status, loc, _ := c.do("POST", "/console/users", url.Values{"csrf": {csrf}, "login": {"zhou"}, "name": {"周客服"}, "role": {"staff"}, "password": {"ten chars!!"}, "estates": {"south"}})
	if status != http.StatusSeeOther || loc != "/console/users?added=zhou" {
		t.Fatalf("add = %d %q", status, loc)
	}
	u, err := f.store.ConsoleUser(t.Context(), "zhou")
	if err != nil || u.Role != outreach.RoleStaff || len(u.Estates) != 1 || u.Estates[0] != "south" {
		t.Fatalf("stored %+v, %v", u, err)
	}
	if status, _, body := c.do("POST", "/console/users", url.Values{"csrf": {csrf}, "login": {"zhou"}, "role": {"staff"}, "password": {"ten chars!!"}}); status != http.StatusConflict || !strings.Contains(body, "This login is taken") {
		t.Errorf("add a taken login = %d", status)
	}
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "admin", Limit: 1})
	must(t, len(log) == 1 && log[0].Action == "user_add" && log[0].Target == "zhou", "audit log: %+v", log)
}

func TestNamesAreText(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("manager-north")
	for _, path := range []string{"/console/residents", "/console/residents/n2"} {
		status, _, body := c.do("GET", path, nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, status)
		}
		if strings.Contains(body, xssName) || !strings.Contains(body, html.EscapeString(xssName)) {
			t.Errorf("GET %s: the name is not escaped", path)
		}
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	if _, _, body := c.do("GET", "/console/login", nil, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5"); !strings.Contains(body, "<h1>登录") {
		t.Error("Accept-Language zh-CN: the login page is not in Chinese")
	}
	if _, _, body := c.do("GET", "/console/login", nil, "Accept-Language", "en-GB"); !strings.Contains(body, "<h1>Sign in") {
		t.Error("Accept-Language en-GB: the login page is not in English")
	}
	status, loc, _ := c.do("GET", "/console/lang?to=en&back=/console/login", nil)
	must(t, status == http.StatusSeeOther && loc == "/console/login", "switch = %d %q", status, loc)
	if _, _, body := c.do("GET", "/console/login", nil, "Accept-Language", "zh-CN"); !strings.Contains(body, "<h1>Sign in") {
		t.Error("the switch does not override Accept-Language")
	}
	if _, loc, _ := c.do("GET", "/console/lang?to=en&back=https://evil.example/", nil); loc != "/console/" {
		t.Errorf("the switch redirects to %q, want nowhere but the console", loc)
	}
}

func TestLoginLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	link, err := f.console.LoginLink(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	if status, loc, _ := c.do("GET", link, nil); status != http.StatusSeeOther || loc != "/console/" {
		t.Fatalf("the link = %d %q", status, loc)
	}
	if status, _, _ := c.do("GET", "/console/archive", nil); status != http.StatusOK {
		t.Errorf("signed in by link: %d", status)
	}
	if status, _, _ := f.client(t).do("GET", link, nil); status != http.StatusUnauthorized {
		t.Errorf("the link used twice = %d, want 401", status)
	}
}

func TestArchiveSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("admin")
	_, _, body := c.do("GET", "/console/archive?status=failed", nil)
	must(t, strings.Contains(body, "d-n2") && !strings.Contains(body, "d-n1") && strings.Contains(body, "mailbox full"), "status=failed: %s", body)
	status, _, body := c.do("GET", "/console/archive?kind=nope&since=yesterday", nil)
	must(t, status == http.StatusBadRequest && strings.Contains(body, "Not a valid choice") && strings.Contains(body, "A date as 2026-12-31"), "bad filters = %d", status)
	_, _, body = c.do("GET", "/console/archive/deliveries/d-n1", nil)
	must(t, strings.Contains(body, "Water cut in building 1") && strings.Contains(body, "replied") && strings.Contains(body, "delivered"), "the delivery's history: %s", body)
	_, _, body = c.do("GET", "/console/residents/n1", nil)
	must(t, strings.Contains(body, "收到，谢谢") && strings.Contains(body, "/console/archive/deliveries/d-n1"), "the timeline has the message and the reply: %s", body)
	must(t, strings.Contains(body, "Satisfaction survey") && strings.Contains(body, "2 of 5") && strings.Contains(body, "师傅迟到了"), "the timeline has the survey and its score: %s", body)
	// Newest first: the survey answered at +2m, the reply at +1m, the message.
	iSurvey, iReply, iSent := strings.Index(body, "师傅迟到了"), strings.Index(body, "收到，谢谢"), strings.Index(body, `href="/console/archive/deliveries/d-n1"`)
	must(t, iSurvey < iReply && iReply < iSent, "the timeline is not newest first (%d, %d, %d)", iSurvey, iReply, iSent)
}

func TestArchivePages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ds []outreach.Delivery
	at := time.Now().Add(-2 * time.Hour).UTC()
	for i := range 120 {
		ds = append(ds, outreach.Delivery{ID: "p" + string(rune('a'+i/26)) + string(rune('a'+i%26)), JobID: "jp", ResidentID: "s1", Estate: "south", Kind: outreach.KindFollowUp, Channel: outreach.ChannelSMS, Status: outreach.StatusSent, CreatedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: at})
	}
	if err := f.store.Record(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	c.mustSignIn("admin")
	seen := map[string]bool{}
	path := "/console/archive?kind=follow_up"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("more pages than rows")
		}
		_, _, body := c.do("GET", path, nil)
		for _, m := range deliveryLink.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("%s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := nextLink.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	must(t, len(seen) == 120, "saw %d deliveries over the pages, want 120", len(seen))
}

func TestNote(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("staff-north")
	csrf := c.csrf("/console/archive/deliveries/d-n2")
	status, loc, _ := c.do("POST", "/console/archive/deliveries/d-n2/note", url.Values{"csrf": {csrf}, "note": {"已电话联系，周二上门"}})
	if status != http.StatusSeeOther || loc != "/console/archive/deliveries/d-n2?noted=1" {
		t.Fatalf("note = %d %q", status, loc)
	}
	_, _, body := c.do("GET", loc, nil)
	must(t, strings.Contains(body, `id="noted"`) && strings.Contains(body, "已电话联系，周二上门") && strings.Contains(body, "noted"), "the page after the note: %s", body)
	events, err := f.store.Events(t.Context(), "d-n2")
	if err != nil || events[len(events)-1].Event != outreach.EventNoted {
		t.Errorf("history %+v, %v; want a noted event last", events, err)
	}
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "staff-north", Limit: 1})
	must(t, len(log) == 1 && log[0].Action == "delivery_note" && log[0].Target == "d-n2", "audit: %+v", log)
	status, _, body = c.do("POST", "/console/archive/deliveries/d-n2/note", url.Values{"csrf": {csrf}, "note": {strings.Repeat("长", 2001)}})
	must(t, status == http.StatusBadRequest && strings.Contains(body, "At most 2000 characters"), "a long note = %d", status)
	if ds, _ := f.store.Search(t.Context(), outreach.Filter{DeliveryID: "d-n2"}); ds[0].Note != "已电话联系，周二上门" {
		t.Errorf("a refused note changed the stored one: %q", ds[0].Note)
	}
	auditor := f.client(t)
	auditor.mustSignIn("auditor")
	if _, _, body := auditor.do("GET", "/console/archive/deliveries/d-n2", nil); strings.Contains(body, `id="note-form"`) {
		t.Error("an auditor gets the note form")
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("manager-north")
	status, _, body := c.do("GET", "/console/archive/export?bom=1", nil)
	if status != http.StatusOK || !strings.HasPrefix(body, "\uFEFFcreated_at,") {
		t.Fatalf("export = %d %.40q, want CSV with a BOM", status, body)
	}
	must(t, strings.Contains(body, "d-n1") && strings.Contains(body, "d-n2") && !strings.Contains(body, "d-s1"), "the manager of north exports: %s", body)
	_, _, body = c.do("GET", "/console/archive/export?status=failed", nil)
	must(t, strings.HasPrefix(body, "created_at,") && strings.Count(body, "\n") == 2, "status=failed export: %q", body)
	status, _, _ = c.do("GET", "/console/archive/export?kind=nope", nil)
	must(t, status == http.StatusBadRequest, "export with a bad filter = %d, want 400", status)
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{Actor: "manager-north", Limit: 1})
	must(t, len(log) == 1 && log[0].Action == "archive_export", "audit: %+v", log)
}
