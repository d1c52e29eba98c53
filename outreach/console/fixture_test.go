package console_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/api"
	"github.com/outreach-dev/outreach/outreach/console"
	"github.com/outreach-dev/outreach/outreach/store"
)

// xssName is a resident's name that would run script if a page did not
// escape it.
const xssName = `<img src=x onerror=alert(1)>`

// fixture is a console on a real SQLite store with two estates: north
// (resident n1, "Ning North", and the resident named xssName, n2) and
// south (resident s1, "Sun South"), a delivery each, and a user per role
// and limit. Every user's password is password.
type fixture struct {
	store   outreach.Store
	console *console.Console
	server  *httptest.Server
	clock   *clock
}

const password = "a long password"

// users of the fixture, by login.
var fixtureUsers = []struct {
	login   string
	role    outreach.ConsoleRole
	estates []string
}{
	{"admin", outreach.RoleAdmin, nil},
	{"admin-north", outreach.RoleAdmin, []string{"north"}},
	{"manager-north", outreach.RoleManager, []string{"north"}},
	{"manager-all", outreach.RoleManager, nil},
	{"staff-north", outreach.RoleStaff, []string{"north"}},
	{"auditor", outreach.RoleAuditor, nil},
	{"auditor-north", outreach.RoleAuditor, []string{"north"}},
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newFixtureWith is newFixture with a last say on the console's Config.
func newFixtureWith(t testing.TB, tune func(*console.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "outreach.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed(t, st)
	clk := &clock{now: time.Now()}
	cfg := console.Config{Store: st, Now: clk.Now, TimeZone: time.UTC}
	if tune != nil {
		tune(&cfg)
	}
	c, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	srv := httptest.NewServer(api.NewHandler(api.Config{Console: c}))
	t.Cleanup(srv.Close)
	return &fixture{store: st, console: c, server: srv, clock: clk}
}

func seed(t testing.TB, st outreach.Store) {
	t.Helper()
	ctx := context.Background()
	for _, e := range []outreach.Estate{{ID: "north", Name: "North Park"}, {ID: "south", Name: "South Bay"}} {
		if err := st.CreateEstate(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.UpsertResidents(ctx, []outreach.Resident{
		{ID: "n1", Estate: "north", Name: "Ning North", Building: "1", Unit: "101", Phone: "+8613800000001", Tags: []string{"elderly"}, Channels: []outreach.Channel{outreach.ChannelSMS}},
		{ID: "n2", Estate: "north", Name: xssName, Building: "2", Unit: "201", Email: "n2@example.com", Channels: []outreach.Channel{outreach.ChannelEmail}},
		{ID: "s1", Estate: "south", Name: "Sun South", Building: "9", Unit: "901", Phone: "+8613800000009", Channels: []outreach.Channel{outreach.ChannelSMS}},
	}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC()
	if err := st.Record(ctx, []outreach.Delivery{
		{ID: "d-n1", JobID: "j1", ResidentID: "n1", Estate: "north", Building: "1", Unit: "101", Campaign: "c-north", Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelSMS, Status: outreach.StatusDelivered, Body: "Water cut in building 1", CreatedAt: at, UpdatedAt: at},
		{ID: "d-n2", JobID: "j1", ResidentID: "n2", Estate: "north", Building: "2", Unit: "201", Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelEmail, Status: outreach.StatusFailed, Error: "mailbox full", Subject: "Water cut", Body: "Water cut", CreatedAt: at.Add(time.Second), UpdatedAt: at.Add(time.Second)},
		{ID: "d-s1", JobID: "j2", ResidentID: "s1", Estate: "south", Building: "9", Unit: "901", Campaign: "c-south", Kind: outreach.KindWelcome, Channel: outreach.ChannelSMS, Status: outreach.StatusSent, Body: "Welcome to South Bay", CreatedAt: at.Add(2 * time.Second), UpdatedAt: at.Add(2 * time.Second)},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordReply(ctx, outreach.Reply{ID: "rp1", Channel: outreach.ChannelSMS, From: "+8613800000001", ResidentID: "n1", Estate: "north", DeliveryID: "d-n1", JobID: "j1", Body: "收到，谢谢", ReceivedAt: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	answered := at.Add(2 * time.Minute)
	due := at.Add(24 * time.Hour) // both have a call-back task (the satisfaction page's queue)
	for _, sv := range []outreach.Survey{
		{ID: "sv-n1", ResidentID: "n1", Estate: "north", Building: "1", Unit: "101", JobID: "j3", DeliveryID: "d-n1", Service: "repair", Channel: outreach.ChannelSMS,
			State: outreach.SurveyAnswered, Score: 2, Comment: "师傅迟到了", SentAt: at, ExpiresAt: at.Add(72 * time.Hour), AnsweredAt: &answered, CallbackDue: &due},
		{ID: "sv-s1", ResidentID: "s1", Estate: "south", Building: "9", Unit: "901", JobID: "j4", Service: "cleaning", Channel: outreach.ChannelSMS,
			State: outreach.SurveyAnswered, Score: 5, Comment: "South survey comment", SentAt: at, ExpiresAt: at.Add(72 * time.Hour), AnsweredAt: &answered, CallbackDue: &due},
	} {
		if _, _, err := st.OpenSurvey(ctx, sv); err != nil {
			t.Fatal(err)
		}
	}
	// A case in each estate (the cases pages): south's is overdue (its
	// acknowledge limit missed and escalated).
	missed := at.Add(15 * time.Minute)
	for _, cs := range []outreach.Case{
		{ID: "C-n1", Estate: "north", ResidentID: "n1", Building: "1", Unit: "101", Category: outreach.CaseWater, Urgency: outreach.UrgencyNormal,
			Received: outreach.ReceivedPhone, Description: "North tap dripping", State: outreach.CaseOpen, OpenedBy: "cli", OpenedAt: at,
			Timers: []outreach.CaseTimer{{Stage: outreach.StageAcknowledge, Due: at.Add(24 * time.Hour), Limit: 24 * time.Hour}}},
		{ID: "C-s1", Estate: "south", ResidentID: "s1", Building: "9", Unit: "901", Category: outreach.CaseLift, Urgency: outreach.UrgencyUrgent,
			Received: outreach.ReceivedPhone, Description: "South lift stuck", State: outreach.CaseOpen, OpenedBy: "cli", OpenedAt: at,
			Timers: []outreach.CaseTimer{{Stage: outreach.StageAcknowledge, Due: missed, Limit: 15 * time.Minute, FiredAt: &missed, Level: "staff"}}},
	} {
		if _, err := st.CreateCase(ctx, cs, []outreach.CaseEvent{{Event: outreach.CaseOpened, At: at, Actor: "cli", Detail: cs.Description}}); err != nil {
			t.Fatal(err)
		}
	}
	// Campaigns: one of each estate and one to every estate, which only
	// unlimited users see.
	for _, cp := range []outreach.Campaign{
		{ID: "c-north", Name: "North water notice", Kind: outreach.KindMaintenanceNotice, Audience: outreach.Audience{Estate: "north"}, State: outreach.CampaignRunning, Targeted: 2, CreatedAt: at},
		{ID: "c-south", Name: "South campaign", Kind: outreach.KindWelcome, Audience: outreach.Audience{Estate: "south"}, State: outreach.CampaignScheduled, NextRun: &answered, CreatedAt: at},
		{ID: "c-all", Name: "Everyone greeting", Kind: outreach.KindHolidayGreeting, Audience: outreach.Audience{All: true}, State: outreach.CampaignDone, CreatedAt: at},
	} {
		if err := st.CreateCampaign(ctx, cp); err != nil {
			t.Fatal(err)
		}
	}
	for _, fu := range fixtureUsers {
		u, err := outreach.NewConsoleUser(fu.login, "", fu.role, fu.estates, password)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateConsoleUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

// client is a browser without JavaScript: a cookie jar, no redirects
// followed.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func (f *fixture) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: f.server.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns the status, the Location and the body.
func (c *client) do(method, path string, form url.Values, header ...string) (int, string, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	status, _, body := c.do("GET", path, nil)
	m := csrfField.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		c.t.Fatalf("GET %s = %d, no csrf field", path, status)
	}
	return m[1]
}

// signIn signs in through the login form.
func (c *client) signIn(login, pw string) (int, string, string) {
	c.t.Helper()
	token := c.csrf("/console/login")
	return c.do("POST", "/console/login", url.Values{"login": {login}, "password": {pw}, "csrf": {token}})
}

func (c *client) mustSignIn(login string) {
	c.t.Helper()
	if status, loc, body := c.signIn(login, password); status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s = %d %s: %s", login, status, loc, body)
	}
}

func must(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

var _ = fmt.Sprintf

var (
	deliveryLink = regexp.MustCompile(`href="/console/archive/deliveries/([^"]+)"`)
	nextLink     = regexp.MustCompile(`id="next" href="([^"]+)"`)
)

func randomID() string { return rand.Text() }
