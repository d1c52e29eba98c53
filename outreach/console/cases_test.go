package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/console"
)

// jobs records what the cases service queues.
type jobs struct {
	mu   sync.Mutex
	jobs []outreach.Job
}

func (j *jobs) Enqueue(_ context.Context, job outreach.Job) (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.jobs = append(j.jobs, job)
	return job.ID, nil
}

func (j *jobs) ids() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, job := range j.jobs {
		out = append(out, job.ID)
	}
	return out
}

// newCasesFixture is the fixture with a cases service on its store and
// clock whose queue is q.
func newCasesFixture(t *testing.T) (*fixture, *cases.Service, *jobs) {
	t.Helper()
	q := &jobs{}
	var svc *cases.Service
	f := newFixtureWith(t, func(cfg *console.Config) {
		svc = &cases.Service{Store: cfg.Store, Jobs: q, Now: cfg.Now}
		cfg.Cases = svc
	})
	return f, svc, q
}

func TestCasesLists(t *testing.T) {
	t.Parallel()
	f, svc, _ := newCasesFixture(t)
	ctx := t.Context()
	fresh, _, err := svc.Open(ctx, outreach.Case{ResidentID: "n2", Category: outreach.CaseNoise, Description: "Party upstairs"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	admin, manager := f.client(t), f.client(t)
	admin.mustSignIn("admin")
	manager.mustSignIn("manager-north")

	_, _, body := admin.do("GET", "/console/cases", nil)
	for _, id := range []string{"C-n1", "C-s1", fresh.ID} {
		must(t, strings.Contains(body, `id="case-`+id+`"`), "admin: the open list lacks %s", id)
	}
	_, _, body = manager.do("GET", "/console/cases", nil)
	must(t, strings.Contains(body, `id="case-C-n1"`) && !strings.Contains(body, "C-s1"), "manager of north: the open list shows south's case or lacks north's")
	_, _, body = admin.do("GET", "/console/cases?list=overdue", nil)
	must(t, strings.Contains(body, `id="case-C-s1"`) && !strings.Contains(body, `id="case-C-n1"`), "the overdue list is not south's missed case alone")
	_, _, body = admin.do("GET", "/console/cases?category=noise", nil)
	must(t, strings.Contains(body, fresh.ID) && !strings.Contains(body, `id="case-C-n1"`), "the category filter does not filter")
	_, _, body = admin.do("GET", "/console/cases?estate=south", nil)
	must(t, strings.Contains(body, `id="case-C-s1"`) && !strings.Contains(body, `id="case-C-n1"`), "the estate filter does not filter")
	_, _, body = manager.do("GET", "/console/cases?estate=south&list=all", nil)
	must(t, !strings.Contains(body, "C-s1") && strings.Contains(body, `id="no-cases"`), "manager of north: estate=south shows something")

	// A closed case is in the all list only; asking the open list for
	// closed ones is refused next to the field, in the user's language.
	if _, err := svc.Close(ctx, fresh.ID, "test", "duplicate"); err != nil {
		t.Fatal(err)
	}
	_, _, body = admin.do("GET", "/console/cases", nil)
	must(t, !strings.Contains(body, fresh.ID), "a closed case is in the open list")
	_, _, body = admin.do("GET", "/console/cases?list=all&state=closed", nil)
	must(t, strings.Contains(body, fresh.ID) && !strings.Contains(body, `id="case-C-n1"`), "the all list filtered to closed lacks the closed case")
	status, _, body := admin.do("GET", "/console/cases?state=closed", nil, "Accept-Language", "zh-CN")
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="state-error">不是此列表中的状态`), "the open list's closed state: %d, no error in Chinese by the field", status)
	for _, q := range []string{"list=nope", "category=nope", "state=nope", "page=0", "page=201", "estate=Bad%20Id"} {
		if status, _, _ := admin.do("GET", "/console/cases?"+q, nil); status != http.StatusBadRequest {
			t.Errorf("GET /console/cases?%s = %d, want 400", q, status)
		}
	}
}

func TestCasesPagination(t *testing.T) {
	t.Parallel()
	f, svc, _ := newCasesFixture(t)
	for range 51 { // with C-n1, 52 open cases in north: two pages
		if _, _, err := svc.Open(t.Context(), outreach.Case{Estate: "north", Unit: "101", Category: outreach.CaseOther, Description: "a report"}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	c := f.client(t)
	c.mustSignIn("manager-north")
	_, _, body := c.do("GET", "/console/cases", nil)
	n1 := strings.Count(body, `<tr class="case`)
	m := nextLink.FindStringSubmatch(body)
	if n1 != 50 || m == nil {
		t.Fatalf("the first page shows %d cases, next link %v", n1, m)
	}
	_, _, body = c.do("GET", strings.ReplaceAll(m[1], "&amp;", "&"), nil)
	if n2 := strings.Count(body, `<tr class="case`); n2 != 2 || nextLink.MatchString(body) {
		t.Errorf("the second page shows %d cases (want 2) or a next link", n2)
	}
}

// TestCaseSteps: acknowledge, assign, resolve and close from the case's
// forms go through the cases service (the resolution notice queued, the
// follow-up set), are in the case's history with the user and in the
// audit log; bad input is refused next to the field with what was typed
// kept; a form of a case that changed meanwhile changes nothing and says
// so; auditors get no forms.
func TestCaseSteps(t *testing.T) {
	t.Parallel()
	f, svc, q := newCasesFixture(t)
	ctx := t.Context()
	opened, _, err := svc.Open(ctx, outreach.Case{ResidentID: "n1", Category: outreach.CaseLift, Description: "Lift 2 stops between floors"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	id := opened.ID
	page := "/console/cases/" + id
	c := f.client(t)
	c.mustSignIn("manager-north")
	csrf := c.csrf(page)
	post := func(step string, v url.Values, header ...string) (int, string, string) {
		t.Helper()
		v.Set("csrf", csrf)
		return c.do("POST", page+"/"+step, v, header...)
	}

	status, loc, _ := post("acknowledge", url.Values{"seen": {"open"}, "note": {"on my way"}})
	if status != http.StatusSeeOther || loc != page+"?done=acknowledge" {
		t.Fatalf("acknowledge = %d %q", status, loc)
	}
	cs, events, err := svc.Get(ctx, id)
	if err != nil || cs.State != outreach.CaseAcknowledged || cs.Timer(outreach.StageAcknowledge).MetAt == nil {
		t.Fatalf("after acknowledge: %+v, %v", cs, err)
	}
	last := events[len(events)-1]
	must(t, last.Actor == "console:manager-north" && strings.Contains(last.Detail, "on my way"), "the history's last step is %+v", last)

	// Assign: only to the estate's staff.
	for _, bad := range []string{"", "auditor", "manager-north", "nobody"} {
		status, _, body := post("assign", url.Values{"seen": {"acknowledged"}, "assignee": {bad}})
		must(t, status == http.StatusBadRequest && strings.Contains(body, `id="assign-error">Choose a staff member`), "assign to %q = %d, no error by the field", bad, status)
	}
	if status, _, _ := post("assign", url.Values{"seen": {"acknowledged"}, "seen_assignee": {""}, "assignee": {"staff-north"}}); status != http.StatusSeeOther {
		t.Fatalf("assign to staff-north = %d", status)
	}
	// The same form again, from a page that showed no assignee: stale.
	status, _, body := post("assign", url.Values{"seen": {"acknowledged"}, "seen_assignee": {""}, "assignee": {"staff-north"}})
	must(t, status == http.StatusConflict && strings.Contains(body, `id="problem"`), "a stale assign = %d", status)

	// Resolve: the resolution is required, in the user's language; what
	// was typed in another form is not lost.
	status, _, body = post("resolve", url.Values{"seen": {"acknowledged"}, "resolution": {"  "}}, "Accept-Language", "zh-CN")
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="resolve-error">请填写处理情况`), "an empty resolution = %d, no error by the field in Chinese", status)
	long := strings.Repeat("长", 2000) // 6000 bytes
	status, _, body = post("resolve", url.Values{"seen": {"acknowledged"}, "resolution": {long}})
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="resolve-error"`) && strings.Contains(body, long), "a too long resolution = %d, or not kept", status)
	if cs, _ := f.store.Case(ctx, id); cs.State != outreach.CaseAcknowledged {
		t.Fatalf("a refused resolve changed the case: %s", cs.State)
	}
	if status, _, _ := post("resolve", url.Values{"seen": {"acknowledged"}, "resolution": {"replaced the door sensor"}}); status != http.StatusSeeOther {
		t.Fatalf("resolve = %d", status)
	}
	cs, _ = f.store.Case(ctx, id)
	must(t, cs.State == outreach.CaseResolved && cs.Resolution == "replaced the door sensor" && cs.Timer(outreach.StageFollowUp) != nil,
		"after resolve: state %s, resolution %q, follow-up %v", cs.State, cs.Resolution, cs.Timer(outreach.StageFollowUp))
	must(t, strings.Contains(strings.Join(q.ids(), " "), "case-"+id+"-resolved-0"), "the resolution notice was not queued: %v", q.ids())

	// Someone else resolved it: a second resolve from the old page (seen
	// acknowledged) is stale; a close from it too, though closing a
	// resolved case is possible.
	for _, step := range []string{"resolve", "close"} {
		status, _, body := post(step, url.Values{"seen": {"acknowledged"}, "resolution": {"again"}, "note": {"dup"}})
		must(t, status == http.StatusConflict && strings.Contains(body, "Someone changed this case"), "a stale %s = %d", step, status)
	}
	if cs, _ := f.store.Case(ctx, id); cs.State != outreach.CaseResolved || cs.Resolution != "replaced the door sensor" {
		t.Fatalf("a stale form changed the case: %s %q", cs.State, cs.Resolution)
	}
	if status, _, _ := post("close", url.Values{"seen": {"resolved"}, "note": {"resident happy"}}); status != http.StatusSeeOther {
		t.Fatalf("close = %d", status)
	}
	_, _, body = c.do("GET", page, nil)
	for _, form := range []string{"acknowledge-form", "resolve-form", "close-form", "assign-form"} {
		must(t, !strings.Contains(body, `id="`+form+`"`), "a closed case offers %s", form)
	}
	must(t, strings.Contains(body, "console:manager-north") && strings.Contains(body, "replaced the door sensor"), "the page lacks the history")

	log, err := f.store.Audit(ctx, outreach.AuditFilter{Actor: "manager-north"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		if a.Target == id {
			actions = append(actions, a.Action)
		}
	}
	if got := strings.Join(actions, " "); got != "case_close case_resolve case_assign case_acknowledge" {
		t.Errorf("audit log of the case: %q", got)
	}

	// An auditor reads the case and gets no forms.
	a := f.client(t)
	a.mustSignIn("auditor")
	_, _, body = a.do("GET", "/console/cases/C-n1", nil)
	must(t, strings.Contains(body, "North tap dripping") && !strings.Contains(body, `id="case-actions"`), "the auditor's page lacks the case or has forms")
	// Staff acknowledge but do not assign.
	s := f.client(t)
	s.mustSignIn("staff-north")
	_, _, body = s.do("GET", "/console/cases/C-n1", nil)
	must(t, strings.Contains(body, `id="acknowledge-form"`) && !strings.Contains(body, `id="assign-form"`), "staff's forms are wrong")
}

// TestCaseOverdueByTimer: a case enters the overdue list when the sweep
// fires its missed limit (escalated), as the daemon's sweep does.
func TestCaseOverdueByTimer(t *testing.T) {
	t.Parallel()
	f, svc, q := newCasesFixture(t)
	ctx := t.Context()
	opened, _, err := svc.Open(ctx, outreach.Case{ResidentID: "n1", Category: outreach.CaseLift, Description: "Lift alarm ringing"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	c.mustSignIn("manager-north")
	if _, _, body := c.do("GET", "/console/cases?list=overdue", nil); strings.Contains(body, opened.ID) {
		t.Fatal("a case within its limits is overdue")
	}
	f.clock.Add(20 * time.Minute) // past the lift's 15-minute acknowledge limit
	if n, err := svc.Fire(ctx); err != nil || n == 0 {
		t.Fatalf("Fire = %d, %v", n, err)
	}
	_, _, body := c.do("GET", "/console/cases?list=overdue", nil)
	must(t, strings.Contains(body, `id="case-`+opened.ID+`"`), "the missed case is not in the overdue list")
	_, _, body = c.do("GET", "/console/cases/"+opened.ID, nil)
	must(t, strings.Contains(body, `id="case-overdue"`) && strings.Contains(body, "ev-escalated"), "the case page shows no overdue mark or escalation")
	must(t, len(q.ids()) > 0, "nothing was queued")
}

// TestOverviewOverdueCases: the overview counts and lists the overdue
// cases of the user's estates, the most overdue first.
func TestOverviewOverdueCases(t *testing.T) {
	t.Parallel()
	f, svc, _ := newCasesFixture(t)
	ctx := t.Context()
	admin, manager := f.client(t), f.client(t)
	admin.mustSignIn("admin")
	manager.mustSignIn("manager-north")
	_, _, body := manager.do("GET", "/console/overview", nil)
	must(t, strings.Contains(body, `id="no-overdue"`) && !strings.Contains(body, "C-s1"), "manager of north: the overview shows an overdue case")
	opened, _, err := svc.Open(ctx, outreach.Case{ResidentID: "n1", Category: outreach.CaseLift, Description: "Lift alarm"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(20 * time.Minute)
	if _, err := svc.Fire(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, body = manager.do("GET", "/console/overview", nil)
	must(t, strings.Contains(body, `id="overdue-`+opened.ID+`"`) && strings.Contains(body, `id="overdue-count">1<`) && !strings.Contains(body, "C-s1"),
		"manager of north: the overview's overdue cases are not north's one")
	_, _, body = admin.do("GET", "/console/overview", nil)
	i, j := strings.Index(body, `id="overdue-C-s1"`), strings.Index(body, `id="overdue-`+opened.ID+`"`)
	must(t, i >= 0 && j > i && strings.Contains(body, `id="overdue-count">2<`), "admin: the overview's overdue cases are not C-s1 then %s (%d, %d)", opened.ID, i, j)
}

// TestResidentTimelineCases: a resident's cases are in their timeline,
// opened and resolved, linked to the case; a case of an estate the user
// does not see is not (a resident who moved from south, say).
func TestResidentTimelineCases(t *testing.T) {
	t.Parallel()
	f, svc, _ := newCasesFixture(t)
	ctx := t.Context()
	at := f.clock.Now().Add(-2 * time.Hour)
	if _, err := f.store.CreateCase(ctx, outreach.Case{ID: "C-old", Estate: "south", ResidentID: "n1", Unit: "901", Category: outreach.CaseNoise, Urgency: outreach.UrgencyNormal,
		Received: outreach.ReceivedPhone, Description: "When n1 lived in south", State: outreach.CaseOpen, OpenedAt: at}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Resolve(ctx, "C-n1", "test", "washer replaced"); err != nil {
		t.Fatal(err)
	}
	manager, admin := f.client(t), f.client(t)
	manager.mustSignIn("manager-north")
	admin.mustSignIn("admin")
	_, _, body := manager.do("GET", "/console/residents/n1", nil)
	timeline := body[strings.Index(body, `id="timeline"`):]
	must(t, strings.Contains(timeline, `href="/console/cases/C-n1"`) && strings.Contains(timeline, "North tap dripping") && strings.Contains(timeline, "washer replaced"),
		"the timeline lacks the case's opening or its resolution")
	must(t, strings.Index(timeline, "washer replaced") < strings.Index(timeline, "North tap dripping"), "the resolution is not above the opening (newest first)")
	must(t, !strings.Contains(body, "C-old") && !strings.Contains(body, "When n1 lived in south"), "manager of north: the timeline shows south's case")
	_, _, body = admin.do("GET", "/console/residents/n1", nil)
	must(t, strings.Contains(body, `href="/console/cases/C-old"`), "admin: the timeline lacks the south case")
}
