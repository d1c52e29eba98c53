package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

// jobCheck takes the jobs the case service enqueues (the
// acknowledgment, the resolution notice) and keeps the first that would
// not pass the queue's own validation.
type jobCheck struct {
	mu  sync.Mutex
	bad error
}

func (j *jobCheck) Enqueue(_ context.Context, job outreach.Job) (string, error) {
	if err := job.Validate(); err != nil {
		j.mu.Lock()
		j.bad = err
		j.mu.Unlock()
	}
	return "0-1", nil
}

func (j *jobCheck) take() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.bad
	j.bad = nil
	return err
}

// FuzzCaseAPI sends arbitrary case requests: a body and Idempotency-Key to
// POST /v1/cases, then a body to one of a created case's steps, and a
// query to the listing. Nothing answers 5xx (bad input is the client's,
// named: 400, 404, 409, 413 or 415 with a JSON error); a case that was opened
// reads back with its history, and every job the service enqueues is a
// valid job.
func FuzzCaseAPI(f *testing.F) {
	f.Add(`{"resident_id":"r1","category":"lift","description":"3号楼电梯停在5楼，门打不开"}`, "", byte(0), `{"note":"已联系维保"}`, "state=open")
	f.Add(`{"estate":"default","category":"noise","urgency":"urgent","received":"phone","description":"x","building":"1","unit":"1201"}`, "k-1", byte(4), `{"resolution":"已处理"}`, "overdue=true&limit=5")
	f.Add(`{"resident_id":"r1","category":"lift","description":"`+strings.Repeat("很", 3000)+`"}`, "k 2", byte(2), `{"assignee":""}`, "since=7d")
	f.Add(`{"resident_id":"nobody","category":"leak","description":"\u0000\ud800"}`, strings.Repeat("k", 300), byte(5), `[]`, "limit=-1&state=%ff")
	f.Add(`{"resident_id":"r1","category":"other","description":"a","assignee":"王师傅"}`, "", byte(3), `{"note":"`+strings.Repeat("n", 9000)+`"}`, "until=2026-13-01")
	st, err := sqlite.Open(f.Context(), sqlite.Memory)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := st.UpsertResidents(f.Context(), []outreach.Resident{{ID: "r1", Name: "王秀英", Phone: "+8613800138001", Email: "wang@example.com", Building: "1", Unit: "1201"}}); err != nil {
		f.Fatal(err)
	}
	jobs := &jobCheck{}
	h := NewHandler(Config{Gatherer: prometheus.NewRegistry(), Store: st, Cases: &cases.Service{Store: st, Jobs: jobs}})
	steps := []string{"acknowledge", "start", "assign", "note", "resolve", "close"}
	do := func(t *testing.T, method, path, body string, header ...string) (int, []byte) {
		t.Helper()
		r := httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			r.Header[header[i]] = []string{header[i+1]}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200, 201:
		case 400, 404, 409, 413, 415: // 415: a POST without a JSON body
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%s %s answered %d with %q, want a JSON error", method, path, w.Code, w.Body)
			}
		default:
			t.Fatalf("%s %s %q answered %d %s", method, path, body, w.Code, w.Body)
		}
		return w.Code, w.Body.Bytes()
	}
	f.Fuzz(func(t *testing.T, body, key string, step byte, stepBody, query string) {
		var header []string
		if key != "" {
			header = []string{"Idempotency-Key", key}
		}
		code, raw := do(t, "POST", "/v1/cases", body, header...)
		if err := jobs.take(); err != nil {
			t.Fatalf("opening %q enqueued an invalid job: %v", body, err)
		}
		if code == 200 || code == 201 {
			var c struct{ ID string }
			if err := json.Unmarshal(raw, &c); err != nil || c.ID == "" {
				t.Fatalf("POST /v1/cases answered %d with %q: no case id (%v)", code, raw, err)
			}
			if code, raw := do(t, "GET", "/v1/cases/"+c.ID, ""); code != 200 {
				t.Fatalf("the case just opened reads back as %d %s", code, raw)
			}
			do(t, "POST", "/v1/cases/"+c.ID+"/"+steps[int(step)%len(steps)], stepBody)
			if err := jobs.take(); err != nil {
				t.Fatalf("step %s %q enqueued an invalid job: %v", steps[int(step)%len(steps)], stepBody, err)
			}
		}
		r := httptest.NewRequestWithContext(t.Context(), "GET", "/v1/cases", nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("GET /v1/cases?%s answered %d %s", query, w.Code, w.Body)
		}
	})
}
