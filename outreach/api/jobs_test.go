package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

const waterCut = `{"kind":"maintenance_notice","resident_id":"r1001","data":{"title":"Water cut","area":"Building 1",
"start":"2026-12-02T09:00:00+08:00","end":"2026-12-02T12:00:00+08:00","work_order":123456789012345678}}`

// streamJobs reads every job on the normal lane.
func (env *v1Env) streamJobs() []outreach.Job {
	env.t.Helper()
	msgs, err := env.rdb.XRange(env.t.Context(), env.keys.Stream, "-", "+").Result()
	if err != nil {
		env.t.Fatal(err)
	}
	var out []outreach.Job
	for _, m := range msgs {
		j, err := outreach.DecodeJob([]byte(m.Values[queue.FieldJob].(string)))
		if err != nil {
			env.t.Fatalf("entry %s: %v", m.ID, err)
		}
		out = append(out, j)
	}
	return out
}

func TestPostJob(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	tok := env.tokens["enqueue"]

	r := env.do("POST", "/v1/jobs", tok, waterCut, "Idempotency-Key", "wo-1042-water")
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /v1/jobs = %d %s, want 202", r.status, r.body)
	}
	var got enqueued
	if err := json.Unmarshal(r.body, &got); err != nil || got.ID != "wo-1042-water" || got.StreamID == "" || got.Repeat {
		t.Fatalf("answer %s, want the key as id and a new stream entry", r.body)
	}
	jobs := env.streamJobs()
	if len(jobs) != 1 || jobs[0].ID != "wo-1042-water" || jobs[0].ResidentID != "r1001" {
		t.Fatalf("stream holds %+v, want the job with the key as id", jobs)
	}
	if n, ok := jobs[0].Data["work_order"].(json.Number); !ok || n.String() != "123456789012345678" {
		t.Errorf("data.work_order = %#v, want the number exactly", jobs[0].Data["work_order"])
	}

	// A retry: same key, same job (whitespace and key order differ).
	again := `{"resident_id":"r1001","kind":"maintenance_notice","data":{"work_order":123456789012345678,"title":"Water cut","area":"Building 1","start":"2026-12-02T09:00:00+08:00","end":"2026-12-02T12:00:00+08:00"}}`
	r = env.do("POST", "/v1/jobs", tok, again, "Idempotency-Key", "wo-1042-water")
	var rep enqueued
	_ = json.Unmarshal(r.body, &rep)
	if r.status != http.StatusAccepted || !rep.Repeat || rep.StreamID != got.StreamID {
		t.Errorf("retry = %d %s, want 202, a repeat of %s", r.status, r.body, got.StreamID)
	}
	// The id in the body works like the key.
	r = env.do("POST", "/v1/jobs", tok, strings.Replace(waterCut, `{"kind"`, `{"id":"wo-1042-water","kind"`, 1))
	if r.status != http.StatusAccepted || !strings.Contains(string(r.body), `"repeat":true`) {
		t.Errorf("same job with the key as id = %d %s, want a 202 repeat", r.status, r.body)
	}
	if n := len(env.streamJobs()); n != 1 {
		t.Errorf("stream holds %d entries after the retries, want 1", n)
	}

	// The same key with another job.
	r = env.do("POST", "/v1/jobs", tok, strings.Replace(waterCut, "Water cut", "Power cut", 1), "Idempotency-Key", "wo-1042-water")
	if r.status != http.StatusUnprocessableEntity || decodeErr(t, r).Field != "Idempotency-Key" {
		t.Errorf("same key, other job = %d %s, want 422 naming Idempotency-Key", r.status, r.body)
	}

	// Without id or key the API makes one.
	r = env.do("POST", "/v1/jobs", tok, waterCut)
	var fresh enqueued
	_ = json.Unmarshal(r.body, &fresh)
	if r.status != http.StatusAccepted || !strings.HasPrefix(fresh.ID, "api-") {
		t.Errorf("job without an id = %d %s, want 202 with an api- id", r.status, r.body)
	}
}

func TestPostJobLanes(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	r := env.do("POST", "/v1/jobs", env.tokens["enqueue"], `{"kind":"maintenance_notice","priority":"urgent","audience":{"building":"3"},"data":{"title":"Lift fault"},"send_at":"2026-12-02T09:00:00+08:00"}`)
	if r.status != http.StatusAccepted {
		t.Fatalf("POST = %d %s", r.status, r.body)
	}
	if n := env.rdb.XLen(t.Context(), env.keys.Urgent).Val(); n != 1 {
		t.Errorf("urgent lane holds %d entries, want 1", n)
	}
}

func decodeErr(t *testing.T, r response) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error answer %q is not JSON: %v", r.body, err)
	}
	return e
}

func TestPostJobRejects(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	tok := env.tokens["enqueue"]
	tests := []struct {
		name, body string
		headers    []string
		status     int
		field      string
	}{
		{"no kind", `{"resident_id":"r1"}`, nil, 400, "kind"},
		{"unknown kind", `{"kind":"party","resident_id":"r1"}`, nil, 400, "kind"},
		{"no target", `{"kind":"follow_up"}`, nil, 400, "resident_id"},
		{"two targets", `{"kind":"follow_up","resident_id":"r1","audience":{"all":true}}`, nil, 400, "resident_id"},
		{"empty audience", `{"kind":"follow_up","audience":{}}`, nil, 400, "audience"},
		{"priority", `{"kind":"follow_up","resident_id":"r1","priority":"asap"}`, nil, 400, "priority"},
		{"channel", `{"kind":"follow_up","resident_id":"r1","channels":["fax"]}`, nil, 400, "channels"},
		{"follow-up", `{"kind":"follow_up","resident_id":"r1","follow_up":{"kind":"follow_up","after":"-1h"}}`, nil, 400, "follow_up"},
		{"inline resident", `{"kind":"follow_up","resident":{"id":"x","name":"X"}}`, nil, 400, "resident"},
		{"long id", `{"kind":"follow_up","resident_id":"r1","id":"` + strings.Repeat("x", 201) + `"}`, nil, 400, "id"},
		{"send_at", `{"kind":"follow_up","resident_id":"r1","send_at":"tomorrow"}`, nil, 400, "send_at"},
		{"unknown field", `{"kind":"follow_up","resident_id":"r1","sendat":"x"}`, nil, 400, "sendat"},
		{"wrong type", `{"kind":"follow_up","resident_id":7}`, nil, 400, "resident_id"},
		{"key and id differ", `{"id":"a","kind":"follow_up","resident_id":"r1"}`, []string{"Idempotency-Key", "b"}, 400, "id"},
		{"bad key", `{"kind":"follow_up","resident_id":"r1"}`, []string{"Idempotency-Key", "has space"}, 400, "Idempotency-Key"},
		{"not JSON", `{"kind":`, nil, 400, ""},
		{"not JSON type", ``, []string{"Content-Type", "text/plain"}, 415, ""},
		{"too large", `{"kind":"follow_up","resident_id":"r1","data":{"x":"` + strings.Repeat("x", MaxBodyBytes) + `"}}`, nil, 413, ""},
	}
	for _, tt := range tests {
		body := tt.body
		if body == "" {
			body = " "
		}
		r := env.do("POST", "/v1/jobs", tok, body, tt.headers...)
		if r.status != tt.status {
			t.Errorf("%s: status %d %s, want %d", tt.name, r.status, r.body, tt.status)
			continue
		}
		if e := decodeErr(t, r); e.Field != tt.field || e.Error == "" {
			t.Errorf("%s: error %+v, want field %q", tt.name, e, tt.field)
		}
	}
	if n := env.rdb.XLen(t.Context(), env.keys.Stream).Val(); n != 0 {
		t.Errorf("rejected jobs left %d entries on the stream", n)
	}
}

// TestHTTPClientAgainstHandler: queue.HTTPClient against the real handler:
// the job arrives once however often it is retried; API errors come back
// as *queue.APIError.
func TestHTTPClientAgainstHandler(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	c := queue.HTTPClient{BaseURL: env.url + "/", Token: env.tokens["enqueue"]}
	job := outreach.Job{Kind: outreach.KindFollowUp, ResidentID: "r1003", Data: map[string]any{"topic": "parking noise"}}
	for range 3 {
		id, err := c.Enqueue(t.Context(), job, "c-77")
		if err != nil || id != "c-77" {
			t.Fatalf("Enqueue = %q, %v; want c-77", id, err)
		}
	}
	if jobs := env.streamJobs(); len(jobs) != 1 || jobs[0].ID != "c-77" {
		t.Errorf("stream holds %+v, want job c-77 once", jobs)
	}

	var apiErr *queue.APIError
	_, err := c.Enqueue(t.Context(), outreach.Job{Kind: "party", ResidentID: "r1"}, "")
	if !asAPIError(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Field != "kind" || apiErr.Temporary() {
		t.Errorf("invalid job: error %v, want a permanent 400 naming kind", err)
	}
	_, err = queue.HTTPClient{BaseURL: env.url, Token: env.tokens["read"]}.Enqueue(t.Context(), job, "c-78")
	if !asAPIError(err, &apiErr) || apiErr.StatusCode != 403 {
		t.Errorf("read token: error %v, want 403", err)
	}
	_, err = queue.HTTPClient{BaseURL: env.url}.Enqueue(t.Context(), job, "c-79")
	if !asAPIError(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Errorf("no token: error %v, want 401", err)
	}
}
