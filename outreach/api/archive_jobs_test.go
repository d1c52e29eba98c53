package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// TestArchivePages: a search pages with after and next, the same cursor
// as `archive search --after`; next is absent on the last page, even a
// full one.
func TestArchivePages(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	now := time.Now().UTC()
	var ds []outreach.Delivery
	for i := range 5 {
		ds = append(ds, outreach.Delivery{ID: fmt.Sprintf("p%d", i), JobID: "jp", ResidentID: "r1001", Kind: outreach.KindFollowUp,
			Channel: outreach.ChannelSMS, Status: outreach.StatusSent, CreatedAt: now.Add(-time.Duration(i) * time.Minute)})
	}
	if err := env.store.Record(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		limit int
		want  []string
	}{
		{2, []string{"p0 p1", "p2 p3", "p4"}},
		{5, []string{"p0 p1 p2 p3 p4"}}, // a full last page: no next
	} {
		var pages []string
		after := ""
		for range 10 {
			q := fmt.Sprintf("/v1/archive/deliveries?job=jp&limit=%d", tt.limit)
			if after != "" {
				q += "&after=" + after
			}
			r := env.do("GET", q, env.tokens["read"], "")
			var page struct {
				Deliveries []outreach.Delivery
				Next       *string
			}
			if err := json.Unmarshal(r.body, &page); err != nil || r.status != 200 {
				t.Fatalf("%s = %d %s", q, r.status, r.body)
			}
			var ids []string
			for _, d := range page.Deliveries {
				ids = append(ids, d.ID)
			}
			pages = append(pages, strings.Join(ids, " "))
			if page.Next == nil {
				break
			}
			if *page.Next == "" {
				t.Fatalf("%s: next is empty, want absent or a cursor", q)
			}
			after = *page.Next
		}
		if strings.Join(pages, " | ") != strings.Join(tt.want, " | ") {
			t.Errorf("limit %d: pages %q, want %q", tt.limit, pages, tt.want)
		}
	}
	// The CLI's cursor works here too: after p1 is what `archive search
	// --limit 2` prints as next.
	c := outreach.Cursor{CreatedAt: ds[1].CreatedAt, ID: "p1"}
	r := env.do("GET", "/v1/archive/deliveries?job=jp&limit=1&after="+c.String(), env.tokens["read"], "")
	if !strings.Contains(string(r.body), `"id":"p2"`) {
		t.Errorf("after the CLI's cursor = %d %s, want p2", r.status, r.body)
	}
}

func TestArchiveJobHistory(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	env.seedArchive()
	r := env.do("GET", "/v1/archive/jobs/j1", env.tokens["read"], "")
	var h jobHistory
	if err := json.Unmarshal(r.body, &h); err != nil || r.status != 200 {
		t.Fatalf("history = %d %s", r.status, r.body)
	}
	if h.JobID != "j1" || len(h.Deliveries) != 1 || h.Deliveries[0].ID != "d1" || len(h.Deliveries[0].Events) == 0 {
		t.Fatalf("history %s, want d1 with its events", r.body)
	}
	if ev := h.Deliveries[0].Events[0]; ev.Event != outreach.EventSent || ev.At.IsZero() {
		t.Errorf("first event %+v, want sent with a time", ev)
	}
	for path, want := range map[string]int{
		"/v1/archive/jobs/j1?resident=r1003": 404,
		"/v1/archive/jobs/nope":              404,
		"/v1/archive/jobs/j1?delivery=d1":    200,
		"/v1/archive/jobs/j1?status=sent":    400,
	} {
		if r := env.do("GET", path, env.tokens["read"], ""); r.status != want {
			t.Errorf("%s = %d %s, want %d", path, r.status, r.body, want)
		}
	}
}

func TestArchiveNote(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	env.seedArchive()
	tok := env.tokens["manage"]
	r := env.do("POST", "/v1/archive/jobs/j1/note", tok, `{"note":"已回电，问题解决","resident_id":"r1001"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"noted":1`) {
		t.Fatalf("note = %d %s, want 1 noted", r.status, r.body)
	}
	r = env.do("GET", "/v1/archive/jobs/j1", env.tokens["read"], "")
	var h jobHistory
	if err := json.Unmarshal(r.body, &h); err != nil || len(h.Deliveries) != 1 {
		t.Fatalf("history = %d %s", r.status, r.body)
	}
	d := h.Deliveries[0]
	last := d.Events[len(d.Events)-1]
	if d.Note != "已回电，问题解决" || last.Event != outreach.EventNoted || last.Detail != d.Note {
		t.Errorf("after the note: note %q, last event %+v; want the note and a noted event", d.Note, last)
	}
	for body, want := range map[string]struct {
		status int
		field  string
	}{
		`{}`:                          {400, "note"},
		`{"note":1}`:                  {400, "note"},
		`{"note":"x","resident":"a"}`: {400, "resident"},
		`{"note":"` + strings.Repeat("长", maxNoteLen+1) + `"}`: {400, "note"},
		`{"note":"x","resident_id":"r1003"}`:                   {404, "job"},
	} {
		r := env.do("POST", "/v1/archive/jobs/j1/note", tok, body)
		if r.status != want.status || decodeErr(t, r).Field != want.field {
			t.Errorf("note %.40s = %d %s, want %d naming %s", body, r.status, r.body, want.status, want.field)
		}
	}
	if r := env.do("POST", "/v1/archive/jobs/nope/note", tok, `{"note":"x"}`); r.status != 404 {
		t.Errorf("note on an unknown job = %d %s, want 404", r.status, r.body)
	}
	// The archive is read's; the note is manage's.
	if r := env.do("POST", "/v1/archive/jobs/j1/note", env.tokens["read"], `{"note":"x"}`); r.status != 403 {
		t.Errorf("note with a read token = %d, want 403", r.status)
	}
}

// TestArchiveExport: a CSV export is an attachment, starts with the BOM
// when asked, and keeps Chinese text intact; JSON lines are one delivery
// a line; filters apply.
func TestArchiveExport(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	env.seedArchive()
	r := env.do("GET", "/v1/archive/export?format=csv&bom=1&building=1", env.tokens["read"], "")
	if r.status != 200 || r.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), `attachment; filename="outreach-archive-`) {
		t.Fatalf("export = %d %v %s", r.status, r.header, r.body)
	}
	body, ok := bytes.CutPrefix(r.body, []byte("\uFEFF"))
	if !ok {
		t.Fatalf("export with bom=1 starts %q, want the BOM", r.body[:min(8, len(r.body))])
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "created_at" {
		t.Fatalf("export is %d rows (%v): %s", len(rows), err, body)
	}
	if !strings.Contains(string(body), "停水通知") {
		t.Errorf("export lost the Chinese text: %s", body)
	}
	r = env.do("GET", "/v1/archive/export?format=jsonl&since=24h", env.tokens["read"], "")
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" || len(lines) != 2 {
		t.Fatalf("jsonl export = %d %s %q, want d1 and d2", r.status, r.header.Get("Content-Type"), r.body)
	}
	for _, l := range lines {
		var d outreach.Delivery
		if err := json.Unmarshal([]byte(l), &d); err != nil || (d.ID != "d1" && d.ID != "d2") {
			t.Errorf("jsonl line %q: %v", l, err)
		}
	}
	if r := env.do("GET", "/v1/archive/export", env.tokens["read"], ""); r.status != 200 || bytes.HasPrefix(r.body, []byte("\uFEFF")) {
		t.Errorf("default export = %d %q, want CSV without a BOM", r.status, r.body[:min(8, len(r.body))])
	}
	for query, field := range map[string]string{
		"format=xlsx":        "format",
		"bom=maybe":          "bom",
		"format=jsonl&bom=1": "bom",
		"limit=5":            "limit",
		"status=lost":        "status",
	} {
		r := env.do("GET", "/v1/archive/export?"+query, env.tokens["read"], "")
		if r.status != http.StatusBadRequest || decodeErr(t, r).Field != field {
			t.Errorf("export?%s = %d %s, want 400 naming %s", query, r.status, r.body, field)
		}
	}
}

// brokenWalk is a store whose Walk fails after rows deliveries.
type brokenWalk struct {
	outreach.Store
	rows int
}

func (b brokenWalk) Walk(_ context.Context, _ outreach.Filter, fn func(outreach.Delivery) error) error {
	for i := range b.rows {
		if err := fn(outreach.Delivery{ID: fmt.Sprintf("d%06d", i), Body: strings.Repeat("停水通知 ", 50)}); err != nil {
			return err
		}
	}
	return errors.New("database connection lost")
}

// TestArchiveExportFails: a failure before anything went out is a JSON
// 500; after the first bytes it breaks the transfer, so that a client
// never takes a short export for a whole one.
func TestArchiveExportFails(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	for _, tt := range []struct {
		rows  int
		whole bool
	}{{0, true}, {5000, false}} {
		h := archiveHandler{store: brokenWalk{Store: env.store, rows: tt.rows}, logger: slog.New(slog.DiscardHandler)}
		srv := httptest.NewServer(http.HandlerFunc(h.export))
		res, err := http.Get(srv.URL + "/v1/archive/export")
		if err != nil {
			t.Fatal(err)
		}
		body, readErr := io.ReadAll(res.Body)
		res.Body.Close()
		srv.Close()
		if tt.whole {
			if res.StatusCode != 500 || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Content-Disposition") != "" || readErr != nil {
				t.Errorf("failure before the first byte = %d %v %q (%v), want a JSON 500", res.StatusCode, res.Header, body, readErr)
			}
			continue
		}
		if res.StatusCode != 200 || readErr == nil {
			t.Errorf("failure after %d rows: %d, read %d bytes, error %v; want the transfer broken", tt.rows, res.StatusCode, len(body), readErr)
		}
	}
}
