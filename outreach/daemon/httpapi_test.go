package daemon_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/queue"
)

// TestEnqueueOverHTTP is issue 7's done-when: a service with an enqueue
// token POSTs a job and it is delivered (the archive says sent, the SMTP
// server got one message); the same POST repeated with its
// Idempotency-Key, before and after delivery, is delivered once. Without a
// token the daemon answers 401, with a token of another scope 403.
func TestEnqueueOverHTTP(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testEnqueueOverHTTP(t, url)
		})
	}
}

func testEnqueueOverHTTP(t *testing.T, databaseURL string) {
	h := newHarness(t, databaseURL, nil)
	ctx := context.Background()
	if _, err := h.d.Store.UpsertResidents(ctx, residents); err != nil {
		t.Fatal(err)
	}
	token := func(name string, scopes ...outreach.Scope) string {
		secret, tok, err := outreach.NewToken(name, scopes)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.d.Store.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	enqueue, read := token("work-orders", outreach.ScopeEnqueue), token("reviewer", outreach.ScopeRead)
	h.start()

	base := "http://" + h.d.Addr()
	job := outreach.Job{Kind: outreach.KindMaintenanceNotice, ResidentID: "r-email", Data: map[string]any{
		"title": "Planned water cut", "area": "Building 1", "start": "2026-12-02 09:00", "end": "2026-12-02 12:00"}}
	c := queue.HTTPClient{BaseURL: base, Token: enqueue}
	for range 2 { // a retry right away, as after a lost answer
		id, err := c.Enqueue(ctx, job, "wo-1042-water")
		if err != nil || id != "wo-1042-water" {
			t.Fatalf("Enqueue = %q, %v; want wo-1042-water", id, err)
		}
	}
	eventually(t, "the job sent and everything acked", func() bool {
		rec := h.search(outreach.Filter{JobID: "wo-1042-water"})
		return h.settled() && len(rec) == 1 && rec[0].Status == outreach.StatusSent
	})
	// And a retry after delivery; then one after the idempotency record
	// expired (queue.IdempotencyTTL), which puts the job on the stream
	// again: the daemon's dedupe by job id still sends nothing.
	if _, err := c.Enqueue(ctx, job, "wo-1042-water"); err != nil {
		t.Fatal(err)
	}
	if err := h.rdb.Del(ctx, h.keys.Idempotency("wo-1042-water")).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enqueue(ctx, job, "wo-1042-water"); err != nil {
		t.Fatal(err)
	}
	if n := h.rdb.XLen(ctx, h.keys.Stream).Val(); n != 2 {
		t.Errorf("the normal lane holds %d entries, want 2 (the first POST, the one after expiry)", n)
	}
	eventually(t, "everything acked", h.settled)

	if msgs := received(h.smtp, "wang@example.com"); len(msgs) != 1 {
		t.Errorf("SMTP got %d messages for the job posted four times, want 1", len(msgs))
	}
	if rec := h.search(outreach.Filter{JobID: "wo-1042-water"}); len(rec) != 1 || rec[0].Status != outreach.StatusSent || rec[0].Channel != outreach.ChannelEmail {
		t.Errorf("archive for wo-1042-water = %+v, want one sent email", rec)
	}

	var apiErr *queue.APIError
	if _, err := (queue.HTTPClient{BaseURL: base}).Enqueue(ctx, job, "wo-1043"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without a token: %v, want 401", err)
	}
	if _, err := (queue.HTTPClient{BaseURL: base, Token: read}).Enqueue(ctx, job, "wo-1043"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a read token: %v, want 403", err)
	}
	// The metrics and health endpoints stay open.
	for _, path := range []string{"/metrics", "/healthz", "/readyz", "/v1/openapi.json"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token = %d, want 200", path, res.StatusCode)
		}
	}
}

// TestAPIAuthOff: with OUTREACH_API_AUTH=off the API answers without a
// token (dev mode); with it on (the default) nothing under /v1/ but the
// OpenAPI document does.
func TestAPIAuthOff(t *testing.T) {
	t.Parallel()
	urls := databaseURLs(t)
	for _, auth := range []bool{false, true} {
		h := newHarness(t, urls["sqlite"], func(c *config.Config, _ *dispatch.Config) { c.APIAuth = auth })
		h.start()
		res, err := http.Get("http://" + h.d.Addr() + "/v1/campaigns")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusOK
		if auth {
			want = http.StatusUnauthorized
		}
		if res.StatusCode != want {
			t.Errorf("APIAuth %v: GET /v1/campaigns without a token = %d, want %d", auth, res.StatusCode, want)
		}
	}
}
