package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// TestCasesOverHTTP: a case opened over HTTP queues its acknowledgment
// at once; a repeated POST with the same Idempotency-Key is the same
// case, acknowledged once; the steps go through; the history shows them
// with who did them. Every answer matches openapi.json.
func TestCasesOverHTTP(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	oa := openAPIChecker{t: t, doc: loadOpenAPI(t)}
	tok := env.tokens["all"]
	body := `{"resident_id":"r1001","category":"lift","urgency":"urgent","received":"phone","description":"3号楼电梯停在8楼"}`
	r := oa.exchange(env, true, "POST", "/v1/cases", tok, body, "Idempotency-Key", "wo-77")
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v1/cases = %d %s", r.status, r.body)
	}
	var c outreach.Case
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.ID, "C-") || c.State != outreach.CaseOpen || c.OpenedBy != "api:everything" || r.header.Get("Location") != "/v1/cases/"+c.ID {
		t.Errorf("opened %+v, Location %q", c, r.header.Get("Location"))
	}
	again := oa.exchange(env, true, "POST", "/v1/cases", tok, body, "Idempotency-Key", "wo-77")
	if again.status != http.StatusOK || !strings.Contains(string(again.body), c.ID) {
		t.Errorf("repeat = %d %s, want 200 with %s", again.status, again.body, c.ID)
	}
	acks := 0
	msgs, err := env.rdb.XRange(t.Context(), env.keys.LaneOf("case-"+c.ID+"-ack", outreach.PriorityUrgent), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var urgent []outreach.Job
	for _, m := range msgs {
		j, err := outreach.DecodeJob([]byte(m.Values[queue.FieldJob].(string)))
		if err != nil {
			t.Fatal(err)
		}
		urgent = append(urgent, j)
	}
	for _, j := range append(env.streamJobs(), urgent...) {
		if j.ID == "case-"+c.ID+"-ack" {
			acks++
			if j.Template != "case_acknowledged" || j.ResidentID != "r1001" || j.Data["within_hours"] != "2" {
				t.Errorf("acknowledgment = %+v", j)
			}
		}
	}
	if acks != 1 {
		t.Errorf("acknowledgments on the stream = %d, want 1", acks)
	}
	for _, step := range []struct{ path, body string }{
		{"acknowledge", `{"note":"维保已出发"}`}, {"assign", `{"assignee":"电梯组"}`}, {"start", `{}`},
		{"note", `{"note":"已到场"}`}, {"resolve", `{"resolution":"已更换门机皮带"}`},
	} {
		if r := oa.exchange(env, true, "POST", "/v1/cases/"+c.ID+"/"+step.path, tok, step.body); r.status != http.StatusOK {
			t.Errorf("%s = %d %s", step.path, r.status, r.body)
		}
	}
	show := oa.exchange(env, true, "GET", "/v1/cases/"+c.ID, tok, "")
	for _, want := range []string{`"state":"resolved"`, `"resolution":"已更换门机皮带"`, "acknowledged; 维保已出发", `"actor":"api:everything"`, "case_resolved: queued"} {
		if !strings.Contains(string(show.body), want) {
			t.Errorf("GET /v1/cases/%s lacks %s: %s", c.ID, want, show.body)
		}
	}
	list := oa.exchange(env, true, "GET", "/v1/cases?state=resolved&category=lift", tok, "")
	if !strings.Contains(string(list.body), c.ID) {
		t.Errorf("list = %s", list.body)
	}
	rep := oa.exchange(env, true, "GET", "/v1/cases/report?since=1d", tok, "")
	if rep.status != http.StatusOK || !strings.Contains(string(rep.body), `"resolved":1`) {
		t.Errorf("report = %d %s", rep.status, rep.body)
	}
}

// TestCasesBadInput: each bad request is a clear 4xx naming the field,
// and changes nothing.
func TestCasesBadInput(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	oa := openAPIChecker{t: t, doc: loadOpenAPI(t)}
	tok := env.tokens["all"]
	r := oa.exchange(env, true, "POST", "/v1/cases", tok, `{"resident_id":"r1001","category":"water","description":"停水"}`, "Idempotency-Key", "k1")
	var c outreach.Case
	if err := json.Unmarshal(r.body, &c); err != nil || r.status != http.StatusCreated {
		t.Fatalf("POST = %d %s", r.status, r.body)
	}
	if r := oa.exchange(env, true, "POST", "/v1/cases/"+c.ID+"/close", tok, `{"note":"duplicate of another report"}`); r.status != http.StatusOK {
		t.Fatalf("close = %d %s", r.status, r.body)
	}
	before := env.do("GET", "/v1/cases/"+c.ID, tok, "")
	stream := len(env.streamJobs())
	long := strings.Repeat("长", 1500) // 4500 bytes
	for _, tt := range []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		field                    string
	}{
		{"unknown resident", "POST", "/v1/cases", `{"resident_id":"ghost","category":"lift","description":"x"}`, nil, 422, "resident_id"},
		{"unknown estate", "POST", "/v1/cases", `{"estate":"nowhere","unit":"1-101","category":"lift","description":"x"}`, nil, 422, "estate"},
		{"unknown category", "POST", "/v1/cases", `{"resident_id":"r1001","category":"plumbing","description":"x"}`, nil, 400, "category"},
		{"bad urgency", "POST", "/v1/cases", `{"resident_id":"r1001","category":"lift","urgency":"asap","description":"x"}`, nil, 400, "urgency"},
		{"no description", "POST", "/v1/cases", `{"resident_id":"r1001","category":"lift"}`, nil, 400, "description"},
		{"neither resident nor unit", "POST", "/v1/cases", `{"estate":"default","category":"lift","description":"x"}`, nil, 400, "resident_id"},
		{"oversized description", "POST", "/v1/cases", `{"resident_id":"r1001","category":"lift","description":"` + long + `"}`, nil, 413, "description"},
		{"unknown field", "POST", "/v1/cases", `{"resident_id":"r1001","category":"lift","description":"x","colour":"red"}`, nil, 400, "colour"},
		{"key reused for another case", "POST", "/v1/cases", `{"resident_id":"r1001","category":"water","description":"停水两天了"}`, []string{"Idempotency-Key", "k1"}, 422, "Idempotency-Key"},
		{"resolve a closed case", "POST", "/v1/cases/" + c.ID + "/resolve", `{"resolution":"fixed"}`, nil, 409, "state"},
		{"acknowledge a closed case", "POST", "/v1/cases/" + c.ID + "/acknowledge", `{}`, nil, 409, "state"},
		{"resolve without a resolution", "POST", "/v1/cases/" + c.ID + "/resolve", `{}`, nil, 400, "resolution"},
		{"note with the wrong field", "POST", "/v1/cases/" + c.ID + "/note", `{"text":"x"}`, nil, 400, "text"},
		{"empty note", "POST", "/v1/cases/" + c.ID + "/note", `{"note":"  "}`, nil, 400, "note"},
		{"oversized resolution", "POST", "/v1/cases/" + c.ID + "/resolve", `{"resolution":"` + long + `"}`, nil, 413, "resolution"},
		{"unknown case", "POST", "/v1/cases/C-000000-XXXXX/resolve", `{"resolution":"x"}`, nil, 404, "id"},
		{"bad state filter", "GET", "/v1/cases?state=done", "", nil, 400, "state"},
	} {
		r := oa.exchange(env, false, tt.method, tt.path, tok, tt.body, tt.headers...)
		var e errorBody
		_ = json.Unmarshal(r.body, &e)
		if r.status != tt.status || e.Field != tt.field || e.Error == "" {
			t.Errorf("%s: %d %s, want %d naming %s", tt.name, r.status, r.body, tt.status, tt.field)
		}
	}
	if after := env.do("GET", "/v1/cases/"+c.ID, tok, ""); string(after.body) != string(before.body) {
		t.Errorf("a refused request changed the case:\n%s\n%s", before.body, after.body)
	}
	if n := len(env.streamJobs()); n != stream {
		t.Errorf("refused requests enqueued %d jobs", n-stream)
	}
	if list := env.do("GET", "/v1/cases", tok, ""); strings.Count(string(list.body), `"id":"C-`) != 1 {
		t.Errorf("refused requests stored cases: %s", list.body)
	}
	if r := env.do("GET", "/v1/cases", env.tokens["enqueue"], ""); r.status != http.StatusForbidden {
		t.Errorf("an enqueue token listed cases: %d", r.status)
	}
	if r := env.do("POST", "/v1/cases", env.tokens["read"], `{"resident_id":"r1001","category":"lift","description":"x"}`); r.status != http.StatusForbidden {
		t.Errorf("a read token opened a case: %d", r.status)
	}
}
