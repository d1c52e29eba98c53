package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
	"github.com/outreach-dev/outreach/outreach/sms"
)

// TestWebhookBodiesBounded: the webhooks and the unsubscribe endpoint
// read at most maxForm bytes of form: beyond, 413 and nothing changes
// (the JSON routes' 413s are in the tables of jobs_test, residents_test,
// campaigns_test and cases_test).
func TestWebhookBodiesBounded(t *testing.T) {
	t.Parallel()
	env := newWebhookEnv(t, nil)
	if _, err := env.store.UpsertResidents(t.Context(), []outreach.Resident{{ID: "r1", Name: "王秀英", Email: "wang@example.com"}}); err != nil {
		t.Fatal(err)
	}
	link := env.wh.Unsubscribe.Link("r1", outreach.ChannelEmail, outreach.KindHolidayGreeting)
	unsubPath := strings.TrimPrefix(link, "https://outreach.example.com")
	big := url.Values{"List-Unsubscribe": {"One-Click"}, "pad": {strings.Repeat("x", maxForm)}}.Encode()
	for _, path := range []string{sms.StatusPath, sms.InboundPath, unsubPath} {
		res, err := http.Post(env.srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with %d bytes = %d %s, want 413", path, len(big), res.StatusCode, body)
		}
	}
	if r, err := env.store.Resident(t.Context(), "r1"); err != nil || len(r.OptOutKinds) != 0 {
		t.Errorf("after the refused unsubscribe r1 = %+v, %v; want no opt-out", r, err)
	}
	res, err := http.Post(env.srv.URL+unsubPath, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if r, _ := env.store.Resident(t.Context(), "r1"); res.StatusCode != http.StatusOK || len(r.OptOutKinds) != 1 {
		t.Errorf("one-click unsubscribe = %d, opt-outs %v; want 200 and one", res.StatusCode, r.OptOutKinds)
	}
}

// TestEveryBodyBounded: the handler caps every request's body at
// MaxBodyBytes before any route sees it, so a route that reads r.Body
// itself cannot be made to read more.
func TestEveryBodyBounded(t *testing.T) {
	t.Parallel()
	var read int
	var readErr error
	h := limitBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		read, readErr = len(b), err
	}), nil)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/anything", strings.NewReader(strings.Repeat("x", 3*MaxBodyBytes))))
	if _, ok := errors.AsType[*http.MaxBytesError](readErr); !ok || read > MaxBodyBytes {
		t.Errorf("a route read %d bytes, err %v; want at most %d and a MaxBytesError", read, readErr, MaxBodyBytes)
	}
}

// blockingWalk is a store whose Walk waits, once entered, until release
// is closed: an export that streams for as long as the test wants.
type blockingWalk struct {
	outreach.Store
	entered chan struct{}
	once    *sync.Once
	release chan struct{}
}

func (b blockingWalk) Walk(ctx context.Context, f outreach.Filter, fn func(outreach.Delivery) error) error {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return b.Store.Walk(ctx, f, fn)
}

// TestExportsBounded: with MaxConcurrentExports exports streaming, the
// next is refused with 429, Retry-After and a JSON error, and the others
// routes still answer; when one ends, exports are taken again.
func TestExportsBounded(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	env.seedArchive()
	bw := blockingWalk{Store: env.store, entered: make(chan struct{}), once: &sync.Once{}, release: make(chan struct{})}
	cfg := env.cfg
	cfg.Store = bw
	cfg.Exports = archive.NewSlots(1)
	srv := httptest.NewServer(NewHandler(cfg))
	t.Cleanup(srv.Close)
	get := func(path string) (*http.Response, []byte) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+env.tokens["read"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	var wg sync.WaitGroup
	var first *http.Response
	wg.Go(func() { first, _ = get("/v1/archive/export") })
	<-bw.entered // the first export holds the one slot

	res, body := get("/v1/archive/export?format=jsonl")
	var e struct{ Error string }
	if res == nil || res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != archive.RetryAfter() || json.Unmarshal(body, &e) != nil || e.Error == "" {
		t.Errorf("a second export while one streams = %v %s, want 429 with Retry-After %s and an error", res, body, archive.RetryAfter())
	}
	if res, _ := get("/v1/archive/deliveries"); res == nil || res.StatusCode != http.StatusOK {
		t.Errorf("a search while the export streams = %v, want 200", res)
	}
	close(bw.release)
	wg.Wait()
	if first == nil || first.StatusCode != http.StatusOK {
		t.Fatalf("the first export = %v", first)
	}
	if res, body := get("/v1/archive/export"); res == nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "created_at,") {
		t.Errorf("an export after the first ended = %v %.40q, want 200", res, body)
	}
}
