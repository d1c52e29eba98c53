package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// estateEnv is the whole API with two estates, east and west, each with a
// resident in building 3, a delivery, a reply and a campaign. Every record
// of west carries the word "west" (its ids, its estate), and nothing of
// east does, so that an answer leaks west exactly when it contains "west".
type estateEnv struct {
	*v1Env
	// east is a token of every scope limited to east; all is unlimited.
	east, all string
	// eastCampaign and westCampaign are the campaigns' ids.
	eastCampaign, westCampaign string
}

func newEstateEnv(t *testing.T, st outreach.Store) *estateEnv {
	t.Helper()
	env := &estateEnv{v1Env: newV1EnvWith(t, st)}
	ctx := t.Context()
	for _, e := range []outreach.Estate{
		{ID: "east", Name: "东苑", SMSSignature: "【东苑物业】", ServicePhone: "0571-1000"},
		{ID: "west", Name: "west garden", SMSSignature: "【西苑物业】", ServicePhone: "0571-2000"},
	} {
		if err := env.store.CreateEstate(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.store.UpsertResidents(ctx, []outreach.Resident{
		{ID: "east-r1", Name: "王秀英", Estate: "east", Phone: "+8613800138101", Locale: "zh-CN", Building: "3", Unit: "301"},
		{ID: "west-r1", Name: "west resident", Estate: "west", Email: "resident@west.example", Locale: "en", Building: "3", Unit: "301"},
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := env.store.Record(ctx, []outreach.Delivery{
		{ID: "east-d1", JobID: "east-j1", ResidentID: "east-r1", Estate: "east", Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelSMS, Status: outreach.StatusSent, Body: "停水通知", Building: "3", Unit: "301", CreatedAt: now.Add(-time.Hour)},
		{ID: "west-d1", JobID: "west-j1", ResidentID: "west-r1", Estate: "west", Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelEmail, Status: outreach.StatusSent, Body: "Water cut", Building: "3", Unit: "301", CreatedAt: now.Add(-time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	for _, rp := range []outreach.Reply{
		{ID: "SM-east", Channel: outreach.ChannelSMS, From: "+8613800138101", ResidentID: "east-r1", Estate: "east", DeliveryID: "east-d1", JobID: "east-j1", Body: "5", ReceivedAt: now.Add(-time.Minute)},
		{ID: "SM-west", Channel: outreach.ChannelSMS, From: "+8613800138102", ResidentID: "west-r1", Estate: "west", DeliveryID: "west-d1", JobID: "west-j1", Body: "west 4", ReceivedAt: now.Add(-time.Minute)},
	} {
		if _, err := env.store.RecordReply(ctx, rp); err != nil {
			t.Fatal(err)
		}
	}
	// A low score in each estate, escalated, with a call-back task open.
	for _, e := range []string{"east", "west"} {
		sv := outreach.Survey{ID: "sv_" + e + "1", ResidentID: e + "-r1", Estate: e, Building: "3", Unit: "301",
			JobID: e + "-j1", DeliveryID: e + "-d1", WorkOrder: "WO-1", Service: "sink", Channel: outreach.ChannelSMS,
			State: outreach.SurveyOpen, SentAt: now.Add(-time.Hour), ExpiresAt: now.Add(7 * 24 * time.Hour)}
		if _, _, err := env.store.OpenSurvey(ctx, sv); err != nil {
			t.Fatal(err)
		}
		due := now.Add(24 * time.Hour)
		if _, err := env.store.UpdateSurvey(ctx, sv.ID, func(cur *outreach.Survey) ([]outreach.SurveyEvent, error) {
			cur.State, cur.Score, cur.AnsweredAt, cur.EscalatedAt, cur.CallbackDue = outreach.SurveyAnswered, 2, &now, &now, &due
			return []outreach.SurveyEvent{{Event: outreach.SurveyAnswer, At: now, Detail: "score 2"}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// A case in each estate.
	for _, e := range []string{"east", "west"} {
		c := outreach.Case{ID: "C-" + e + "-1", Estate: e, ResidentID: e + "-r1", Building: "3", Unit: "301", Category: outreach.CaseLift,
			Urgency: outreach.UrgencyNormal, Received: outreach.ReceivedPhone, Description: "电梯故障", State: outreach.CaseOpen, OpenedAt: now.Add(-time.Hour)}
		if _, err := env.store.CreateCase(ctx, c, []outreach.CaseEvent{{Event: outreach.CaseOpened, At: c.OpenedAt, Actor: "cli"}}); err != nil {
			t.Fatal(err)
		}
	}
	at := now.Add(30 * 24 * time.Hour)
	for _, c := range []struct {
		id     *string
		name   string
		estate string
	}{{&env.eastCampaign, "东苑春节", "east"}, {&env.westCampaign, "west new year", "west"}} {
		created, err := env.cfg.Campaigns.Create(ctx, outreach.Campaign{Name: c.name, Kind: outreach.KindHolidayGreeting,
			Audience: outreach.Audience{Estate: c.estate, Building: "3"}, Data: map[string]any{"holiday": "春节"}, Schedule: outreach.Schedule{At: &at}})
		if err != nil {
			t.Fatal(err)
		}
		*c.id = created.ID
	}
	env.east = env.limitedToken("east-office", []string{"east"}, outreach.Scopes...)
	env.all = env.tokens["all"]
	return env
}

// request is one request of the matrix.
type request struct {
	path, body string
	status     int
}

// estateCase is how one route is tried: with the limited token on east's
// records (own), with it on west's (other), and with the unlimited token
// on west's (unlimited, the other request unless set). hidden is the id of
// west's record that other names: the same request naming an id nobody
// has must get the same answer, so that a 404 tells nothing.
type estateCase struct {
	own, other request
	unlimited  *request
	hidden     string
}

// TestEstateMatrix walks, on each archive driver, every /v1/ route of the route table with a token
// limited to east: on east's records it works; on west's it gets 404, the
// very answer an unknown id gets, and lists leave west out; nothing of
// west changes and nothing is enqueued for it. The unlimited token reaches
// west's records on every route, so the 404s are the limit's doing. A
// route without a case fails the test: a new route must say how it keeps
// to the token's estates. Every answer must match openapi.json.
func TestEstateMatrix(t *testing.T) {
	onEachDriver(t, func(t *testing.T, st outreach.Store) { testEstateMatrix(t, st) })
}

func testEstateMatrix(t *testing.T, st outreach.Store) {
	env := newEstateEnv(t, st)
	ec, wc := env.eastCampaign, env.westCampaign
	job := func(target string) string {
		return `{"kind":"follow_up",` + target + `,"data":{"topic":"parking"}}`
	}
	const profile = `"name":"王秀英","phone":"+8613800138101","building":"3"`
	const caseBody = `,"category":"lift","description":"电梯停在8楼"}`
	cases := map[string]estateCase{
		"POST /v1/cases": {
			own:    request{"/v1/cases", `{"resident_id":"east-r1"` + caseBody, 201},
			other:  request{"/v1/cases", `{"resident_id":"west-r1"` + caseBody, 404},
			hidden: "west-r1",
		},
		"GET /v1/cases": {
			own:   request{"/v1/cases?category=lift", "", 200},
			other: request{"/v1/cases?estate=west", "", 200},
		},
		"GET /v1/cases/report": {
			own:   request{"/v1/cases/report", "", 200},
			other: request{"/v1/cases/report?estate=west", "", 200},
		},
		"GET /v1/cases/{id}": {
			own:    request{"/v1/cases/C-east-1", "", 200},
			other:  request{"/v1/cases/C-west-1", "", 404},
			hidden: "C-west-1",
		},
		"POST /v1/cases/{id}/acknowledge": {
			own:    request{"/v1/cases/C-east-1/acknowledge", `{"note":"on it"}`, 200},
			other:  request{"/v1/cases/C-west-1/acknowledge", `{"note":"on it"}`, 404},
			hidden: "C-west-1",
		},
		"POST /v1/cases/{id}/start": {
			own:    request{"/v1/cases/C-east-1/start", `{}`, 200},
			other:  request{"/v1/cases/C-west-1/start", `{}`, 404},
			hidden: "C-west-1",
		},
		"POST /v1/cases/{id}/assign": {
			own:    request{"/v1/cases/C-east-1/assign", `{"assignee":"电梯组"}`, 200},
			other:  request{"/v1/cases/C-west-1/assign", `{"assignee":"电梯组"}`, 404},
			hidden: "C-west-1",
		},
		"POST /v1/cases/{id}/note": {
			own:    request{"/v1/cases/C-east-1/note", `{"note":"已联系维保公司"}`, 200},
			other:  request{"/v1/cases/C-west-1/note", `{"note":"已联系维保公司"}`, 404},
			hidden: "C-west-1",
		},
		"POST /v1/cases/{id}/resolve": {
			own:    request{"/v1/cases/C-east-1/resolve", `{"resolution":"已更换门机皮带"}`, 200},
			other:  request{"/v1/cases/C-west-1/resolve", `{"resolution":"已更换门机皮带"}`, 404},
			hidden: "C-west-1",
		},
		"POST /v1/cases/{id}/close": {
			own:    request{"/v1/cases/C-east-1/close", `{"note":"done"}`, 200},
			other:  request{"/v1/cases/C-west-1/close", `{"note":"done"}`, 404},
			hidden: "C-west-1",
		},
		"POST /v1/jobs": {
			own:    request{"/v1/jobs", job(`"resident_id":"east-r1"`), 202},
			other:  request{"/v1/jobs", job(`"resident_id":"west-r1"`), 404},
			hidden: "west-r1",
		},
		"GET /v1/residents": {
			own:   request{"/v1/residents?building=3", "", 200},
			other: request{"/v1/residents?estate=west", "", 200},
		},
		"GET /v1/residents/{id}": {
			own:    request{"/v1/residents/east-r1", "", 200},
			other:  request{"/v1/residents/west-r1", "", 404},
			hidden: "west-r1",
		},
		"PUT /v1/residents/{id}": {
			own:       request{"/v1/residents/east-r1", "{" + profile + "}", 200},
			other:     request{"/v1/residents/west-r1", "{" + profile + "}", 404},
			unlimited: &request{"/v1/residents/west-r1", `{"name":"west resident","estate":"west","email":"resident@west.example","building":"3"}`, 200},
		},
		"PATCH /v1/residents/{id}": {
			own:    request{"/v1/residents/east-r1", `{"unit":"302"}`, 200},
			other:  request{"/v1/residents/west-r1", `{"unit":"302"}`, 404},
			hidden: "west-r1",
		},
		"PUT /v1/residents/{id}/opt-outs/{name}": {
			own:    request{"/v1/residents/east-r1/opt-outs/holiday_greeting", "", 204},
			other:  request{"/v1/residents/west-r1/opt-outs/holiday_greeting", "", 404},
			hidden: "west-r1",
		},
		"DELETE /v1/residents/{id}/opt-outs/{name}": {
			own:    request{"/v1/residents/east-r1/opt-outs/holiday_greeting", "", 204},
			other:  request{"/v1/residents/west-r1/opt-outs/holiday_greeting", "", 404},
			hidden: "west-r1",
		},
		"GET /v1/estates": {
			own:   request{"/v1/estates", "", 200},
			other: request{"/v1/estates", "", 200},
		},
		"GET /v1/estates/{id}": {
			own:    request{"/v1/estates/east", "", 200},
			other:  request{"/v1/estates/west", "", 404},
			hidden: "west",
		},
		"POST /v1/estates": {
			own:       request{"/v1/estates", `{"id":"north","name":"北苑"}`, 403},
			other:     request{"/v1/estates", `{"id":"west","name":"west again"}`, 403},
			unlimited: &request{"/v1/estates", `{"id":"south","name":"南苑"}`, 201},
		},
		"PATCH /v1/estates/{id}": {
			own:    request{"/v1/estates/east", `{"office_hours":"8:00-18:00"}`, 200},
			other:  request{"/v1/estates/west", `{"office_hours":"8:00-18:00"}`, 404},
			hidden: "west",
		},
		"DELETE /v1/estates/{id}": {
			own:       request{"/v1/estates/east", "", 403},
			other:     request{"/v1/estates/west", "", 404},
			unlimited: &request{"/v1/estates/west", "", 409}, // it has a resident
			hidden:    "west",
		},
		"GET /v1/archive/deliveries": {
			own:   request{"/v1/archive/deliveries?building=3", "", 200},
			other: request{"/v1/archive/deliveries?resident=west-r1", "", 200},
		},
		"GET /v1/archive/replies": {
			own:   request{"/v1/archive/replies", "", 200},
			other: request{"/v1/archive/replies?estate=west", "", 200},
		},
		"GET /v1/archive/jobs/{job}": {
			own:    request{"/v1/archive/jobs/east-j1", "", 200},
			other:  request{"/v1/archive/jobs/west-j1", "", 404},
			hidden: "west-j1",
		},
		"POST /v1/archive/jobs/{job}/note": {
			own:    request{"/v1/archive/jobs/east-j1/note", `{"note":"called back"}`, 200},
			other:  request{"/v1/archive/jobs/west-j1/note", `{"note":"called back"}`, 404},
			hidden: "west-j1",
		},
		"GET /v1/surveys": {
			own:   request{"/v1/surveys", "", 200},
			other: request{"/v1/surveys?estate=west", "", 200},
		},
		"GET /v1/surveys/{id}": {
			own:    request{"/v1/surveys/sv_east1", "", 200},
			other:  request{"/v1/surveys/sv_west1", "", 404},
			hidden: "sv_west1",
		},
		"POST /v1/surveys/{id}/callback": {
			own:    request{"/v1/surveys/sv_east1/callback", `{"note":"called back"}`, 200},
			other:  request{"/v1/surveys/sv_west1/callback", `{"note":"called back"}`, 404},
			hidden: "sv_west1",
		},
		"GET /v1/satisfaction": {
			own:   request{"/v1/satisfaction?by=building", "", 200},
			other: request{"/v1/satisfaction?estate=west", "", 200},
		},
		"GET /v1/archive/export": {
			own:   request{"/v1/archive/export?format=csv", "", 200},
			other: request{"/v1/archive/export?format=csv&job=west-j1", "", 200},
		},
		"POST /v1/templates/preview": {
			own:    request{"/v1/templates/preview", `{"kind":"follow_up","resident_id":"east-r1","data":{"topic":"parking"}}`, 200},
			other:  request{"/v1/templates/preview", `{"kind":"follow_up","resident_id":"west-r1","data":{"topic":"parking"}}`, 404},
			hidden: "west-r1",
		},
		"POST /v1/campaigns": {
			own:       request{"/v1/campaigns", `{"name":"东苑元宵","kind":"holiday_greeting","audience":{"building":"3"},"data":{"holiday":"元宵"}}`, 201},
			other:     request{"/v1/campaigns", `{"name":"元宵","kind":"holiday_greeting","audience":{"estate":"west","building":"3"},"data":{"holiday":"元宵"}}`, 404},
			unlimited: &request{"/v1/campaigns", `{"name":"west lantern","kind":"holiday_greeting","audience":{"estate":"west","building":"3"},"data":{"holiday":"元宵"}}`, 201},
			hidden:    "west",
		},
		"GET /v1/campaigns": {
			own:   request{"/v1/campaigns", "", 200},
			other: request{"/v1/campaigns?estate=west", "", 200},
		},
		"GET /v1/campaigns/{id}": {
			own:    request{"/v1/campaigns/" + ec, "", 200},
			other:  request{"/v1/campaigns/" + wc, "", 404},
			hidden: wc,
		},
		"POST /v1/campaigns/{id}/pause": {
			own:    request{"/v1/campaigns/" + ec + "/pause", "", 200},
			other:  request{"/v1/campaigns/" + wc + "/pause", "", 404},
			hidden: wc,
		},
		"POST /v1/campaigns/{id}/resume": {
			own:    request{"/v1/campaigns/" + ec + "/resume", "", 200},
			other:  request{"/v1/campaigns/" + wc + "/resume", "", 404},
			hidden: wc,
		},
		"POST /v1/campaigns/{id}/cancel": {
			own:    request{"/v1/campaigns/" + ec + "/cancel", "", 200},
			other:  request{"/v1/campaigns/" + wc + "/cancel", "", 404},
			hidden: wc,
		},
	}
	routes := Routes(env.cfg)
	var tried []Route
	for _, rt := range routes {
		if len(rt.Scopes) == 0 {
			continue // the OpenAPI document: public, of no estate
		}
		if _, ok := cases[rt.Pattern]; !ok {
			t.Errorf("route %s has no case in the estate matrix: add one (own estate, other estate) and keep the route to the token's estates", rt.Pattern)
			continue
		}
		tried = append(tried, rt)
	}
	for p := range cases {
		if !hasRoute(routes, p) {
			t.Errorf("the estate matrix has a case for %s, which no route serves", p)
		}
	}
	// Every answer is checked against openapi.json too: a limited token's
	// 404s and 403s must be documented.
	oa := openAPIChecker{t: t, doc: loadOpenAPI(t)}
	send := func(rt Route, tok string, rq request) response {
		t.Helper()
		method, _, _ := strings.Cut(rt.Pattern, " ")
		return oa.exchange(env.v1Env, false, method, rq.path, tok, rq.body)
	}

	// West's records, the queue, as the unlimited token sees them, before
	// and after the limited token's attempts on them.
	westState := func() string {
		t.Helper()
		var b strings.Builder
		for _, p := range []string{"/v1/residents?estate=west", "/v1/estates/west", "/v1/campaigns?estate=west",
			"/v1/archive/jobs/west-j1", "/v1/archive/replies?estate=west", "/v1/surveys/sv_west1", "/v1/cases/C-west-1"} {
			r := env.do("GET", p, env.all, "")
			b.WriteString(p + " " + string(r.body) + "\n")
		}
		b.WriteString("estates " + strings.Join(estateIDs(t, env.do("GET", "/v1/estates", env.all, "")), ",") + "\n")
		n, err := env.rdb.XLen(t.Context(), env.keys.Stream).Result()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("jobs on the stream " + strconv.FormatInt(n, 10))
		return b.String()
	}
	before := westState()

	// Other: the limited token on west's records.
	for _, rt := range tried {
		c := cases[rt.Pattern]
		r := send(rt, env.east, c.other)
		if r.status != c.other.status {
			t.Errorf("%s %s (other estate) = %d %s, want %d", rt.Pattern, c.other.path, r.status, r.body, c.other.status)
		}
		if r.status < 300 && strings.Contains(string(r.body), "west") {
			t.Errorf("%s %s (other estate) = %d with west's records: %s", rt.Pattern, c.other.path, r.status, r.body)
		}
		if c.hidden == "" {
			continue
		}
		unknown := request{strings.ReplaceAll(c.other.path, c.hidden, "nowhere"), strings.ReplaceAll(c.other.body, c.hidden, "nowhere"), 0}
		u := send(rt, env.east, unknown)
		if u.status != r.status || strings.ReplaceAll(string(u.body), "nowhere", c.hidden) != string(r.body) {
			t.Errorf("%s: another estate's %s = %d %s, an unknown id = %d %s; want the same answer", rt.Pattern, c.hidden, r.status, r.body, u.status, u.body)
		}
	}
	if after := westState(); after != before {
		t.Errorf("the limited token's attempts changed west:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// Own: the limited token on east's records.
	for _, rt := range tried {
		c := cases[rt.Pattern]
		r := send(rt, env.east, c.own)
		if r.status != c.own.status {
			t.Errorf("%s %s (own estate) = %d %s, want %d", rt.Pattern, c.own.path, r.status, r.body, c.own.status)
		}
		if strings.Contains(string(r.body), "west") {
			t.Errorf("%s %s (own estate) shows west's records: %s", rt.Pattern, c.own.path, r.body)
		}
	}

	// Unlimited: west's records are there to be found.
	for _, rt := range tried {
		c := cases[rt.Pattern]
		rq := c.other
		if c.unlimited != nil {
			rq = *c.unlimited
		} else if rq.status == http.StatusNotFound {
			rq.status = c.own.status
		}
		r := send(rt, env.all, rq)
		if r.status != rq.status {
			t.Errorf("%s %s (unlimited token) = %d %s, want %d", rt.Pattern, rq.path, r.status, r.body, rq.status)
		}
		if r.status == http.StatusOK && rt.Pattern[:3] == "GET" && !strings.Contains(string(r.body), "west") {
			t.Errorf("%s %s (unlimited token) = %s, want west's records", rt.Pattern, rq.path, r.body)
		}
	}
}

func hasRoute(routes []Route, pattern string) bool {
	for _, rt := range routes {
		if rt.Pattern == pattern {
			return true
		}
	}
	return false
}

// TestJobsOfALimitedToken: a job for another estate's resident (by id or
// inline, new or existing) or audience is 404 and enqueues nothing; an
// audience or inline resident without an estate is pinned to the token's
// one estate, and a token of several estates must name one (400).
func TestJobsOfALimitedToken(t *testing.T) {
	onEachDriver(t, func(t *testing.T, st outreach.Store) { testJobsOfALimitedToken(t, st) })
}

func testJobsOfALimitedToken(t *testing.T, st outreach.Store) {
	env := newEstateEnv(t, st)
	both := env.limitedToken("east-west", []string{"east", "west"}, outreach.ScopeEnqueue)
	audience := func(a string) string {
		return `{"kind":"maintenance_notice","audience":` + a + `,"data":{"title":"停水","area":"3号楼","start":"2026-12-03T09:00:00+08:00","end":"2026-12-03T12:00:00+08:00"}}`
	}
	inline := func(r string) string { return `{"kind":"follow_up","resident":` + r + `,"data":{"topic":"parking"}}` }
	for _, tt := range []struct {
		name, tok, body string
		status          int
		field           string
	}{
		{"audience of another estate", env.east, audience(`{"estate":"west","building":"3"}`), 404, "estate"},
		{"audience of an unknown estate", env.east, audience(`{"estate":"nowhere","building":"3"}`), 404, "estate"},
		{"inline resident of another estate", env.east, inline(`{"id":"west-r9","name":"x","estate":"west","phone":"+8613800138109"}`), 404, "estate"},
		{"inline resident with another estate's id", env.east, inline(`{"id":"west-r1","name":"x","phone":"+8613800138109"}`), 404, "resident.id"},
		{"unknown resident id", env.east, `{"kind":"follow_up","resident_id":"nobody","data":{"topic":"x"}}`, 404, "resident_id"},
		{"another estate's campaign", env.east, `{"kind":"follow_up","resident_id":"east-r1","campaign":"` + env.westCampaign + `","data":{"topic":"x"}}`, 404, "campaign"},
		{"audience without an estate, token of two", both, audience(`{"building":"3"}`), 400, "audience.estate"},
		{"inline resident without an estate, token of two", both, inline(`{"id":"n1","name":"x","phone":"+8613800138109"}`), 400, "resident.estate"},
	} {
		r := env.do("POST", "/v1/jobs", tt.tok, tt.body)
		var e errorBody
		_ = json.Unmarshal(r.body, &e)
		if r.status != tt.status || e.Field != tt.field {
			t.Errorf("%s = %d %s, want %d naming %s", tt.name, r.status, r.body, tt.status, tt.field)
		}
	}
	if jobs := env.streamJobs(); len(jobs) != 0 {
		t.Fatalf("refused jobs were enqueued: %+v", jobs)
	}
	for _, body := range []string{audience(`{"building":"3"}`), inline(`{"id":"east-r9","name":"新住户","phone":"+8613800138109"}`),
		`{"kind":"follow_up","resident_id":"east-r1","campaign":"` + env.eastCampaign + `","data":{"topic":"x"}}`,
		`{"kind":"follow_up","resident_id":"east-r1","campaign":"repair week","data":{"topic":"x"}}`} {
		if r := env.do("POST", "/v1/jobs", env.east, body); r.status != http.StatusAccepted {
			t.Fatalf("%s = %d %s", body, r.status, r.body)
		}
	}
	if r := env.do("POST", "/v1/jobs", both, audience(`{"estate":"west","building":"3"}`)); r.status != http.StatusAccepted {
		t.Fatalf("a token of east and west for west = %d %s", r.status, r.body)
	}
	jobs := env.streamJobs()
	if len(jobs) != 5 || jobs[0].Audience.Estate != "east" || jobs[1].Resident.Estate != "east" || jobs[4].Audience.Estate != "west" {
		t.Errorf("enqueued %+v; want the audience and the inline resident pinned to east, then west's audience", jobs)
	}
}

// TestResidentsOfALimitedToken: residents written by a limited token land
// in its estate (a token of several must name one), never in another; an
// unknown estate from an unlimited token is a 400 naming estate.
func TestResidentsOfALimitedToken(t *testing.T) {
	onEachDriver(t, func(t *testing.T, st outreach.Store) { testResidentsOfALimitedToken(t, st) })
}

func testResidentsOfALimitedToken(t *testing.T, st outreach.Store) {
	env := newEstateEnv(t, st)
	both := env.limitedToken("east-west", []string{"east", "west"}, outreach.ScopeManage)
	const p = `"name":"李华","phone":"+8613800138022"`
	for _, tt := range []struct {
		name, method, path, tok, body string
		status                        int
		field, estate                 string
	}{
		{"new, no estate", "PUT", "/v1/residents/n1", env.east, "{" + p + "}", 201, "", "east"},
		{"new, other estate", "PUT", "/v1/residents/n2", env.east, `{` + p + `,"estate":"west"}`, 404, "estate", ""},
		{"new, no estate, token of two", "PUT", "/v1/residents/n3", both, "{" + p + "}", 400, "estate", ""},
		{"new, west, token of two", "PUT", "/v1/residents/n3", both, `{` + p + `,"estate":"west"}`, 201, "", "west"},
		{"move own to other", "PATCH", "/v1/residents/n1", env.east, `{"estate":"west"}`, 404, "estate", ""},
		{"move to the default estate", "PATCH", "/v1/residents/n1", env.east, `{"estate":""}`, 200, "", "east"},
		{"unknown estate, unlimited", "PUT", "/v1/residents/n4", env.all, `{` + p + `,"estate":"nowhere"}`, 400, "estate", ""},
		{"bad estate id", "PUT", "/v1/residents/n4", env.all, `{` + p + `,"estate":"No Where"}`, 400, "estate", ""},
		{"move to an unknown estate, unlimited", "PATCH", "/v1/residents/n1", env.all, `{"estate":"nowhere"}`, 400, "estate", ""},
	} {
		r := env.do(tt.method, tt.path, tt.tok, tt.body)
		var out struct {
			errorBody
			Estate string `json:"estate"`
		}
		_ = json.Unmarshal(r.body, &out)
		if r.status != tt.status || out.Field != tt.field || out.Estate != tt.estate {
			t.Errorf("%s: %s %s = %d %s, want %d (field %q, estate %q)", tt.name, tt.method, tt.path, r.status, r.body, tt.status, tt.field, tt.estate)
		}
	}
	if r := env.do("GET", "/v1/residents/n2", env.all, ""); r.status != http.StatusNotFound {
		t.Errorf("a refused resident was stored: %d %s", r.status, r.body)
	}
}

// TestUnknownEstateRefused: a job or campaign for an estate nobody
// configured is a 400 naming the field (from an unlimited token; a limited
// one gets 404, see TestJobsOfALimitedToken), and nothing is enqueued.
func TestUnknownEstateRefused(t *testing.T) {
	onEachDriver(t, func(t *testing.T, st outreach.Store) { testUnknownEstateRefused(t, st) })
}

func testUnknownEstateRefused(t *testing.T, st outreach.Store) {
	env := newEstateEnv(t, st)
	for _, tt := range []struct{ path, body, field string }{
		{"/v1/jobs", `{"kind":"follow_up","audience":{"estate":"nowhere","building":"3"},"data":{"topic":"x"}}`, "audience.estate"},
		{"/v1/jobs", `{"kind":"follow_up","resident":{"id":"n1","name":"x","estate":"nowhere","phone":"+8613800138109"},"data":{"topic":"x"}}`, "resident.estate"},
		{"/v1/campaigns", `{"name":"x","kind":"holiday_greeting","audience":{"estate":"nowhere"},"data":{"holiday":"x"}}`, "audience.estate"},
	} {
		r := env.do("POST", tt.path, env.all, tt.body)
		var e errorBody
		_ = json.Unmarshal(r.body, &e)
		if r.status != http.StatusBadRequest || e.Field != tt.field || !strings.Contains(e.Error, "unknown estate") {
			t.Errorf("POST %s %s = %d %s, want 400 naming %s", tt.path, tt.body, r.status, r.body, tt.field)
		}
	}
	if jobs := env.streamJobs(); len(jobs) != 0 {
		t.Errorf("enqueued %+v", jobs)
	}
	for _, body := range []string{
		`{"kind":"follow_up","audience":{"estate":"west","building":"3"},"data":{"topic":"x"}}`,
		`{"kind":"follow_up","audience":{"building":"3"},"data":{"topic":"x"}}`,
	} {
		if r := env.do("POST", "/v1/jobs", env.all, body); r.status != http.StatusAccepted {
			t.Errorf("POST /v1/jobs %s = %d %s, want 202", body, r.status, r.body)
		}
	}
}
