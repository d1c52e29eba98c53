package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
	"github.com/outreach-dev/outreach/templates"
)

// v1Env is the whole /v1/ API with authentication on: SQLite, campaigns,
// the built-in templates, and a producer on the test Redis with keys of
// its own. tokens holds a token per scope, by scope name, and "all".
type v1Env struct {
	t      *testing.T
	cfg    Config
	url    string
	store  outreach.Store
	rdb    redis.UniversalClient
	keys   queue.Keys
	tokens map[string]string
	// http are the API's request metrics, registered on cfg.Gatherer.
	http *metrics.HTTPMetrics
}

func newV1Env(t *testing.T) *v1Env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newV1EnvWith(t, st)
}

// newV1EnvWith is newV1Env on the store st.
func newV1EnvWith(t *testing.T, st outreach.Store) *v1Env {
	t.Helper()
	set, err := templates.Source{}.Load()
	if err != nil {
		t.Fatal(err)
	}
	rdb := queuetest.Redis(t)
	keys := queuetest.Keys(t, rdb, "api", "g")
	reg := prometheus.NewRegistry()
	env := &v1Env{t: t, store: st, rdb: rdb, keys: keys, tokens: map[string]string{}, http: metrics.New(reg).HTTP}
	env.cfg = Config{
		Gatherer:    reg,
		HTTPMetrics: env.http,
		Store:       st,
		PhoneRegion: "CN",
		Campaigns:   &campaign.Service{Store: st, Zone: time.UTC},
		Jobs:        queue.NewProducer(rdb, keys),
		Templates:   func() *templates.Set { return set },
		TimeZone:    time.UTC,
		Auth:        &TokenAuth{Store: st},
		Cases:       &cases.Service{Store: st, Jobs: queue.NewProducer(rdb, keys)},
	}
	for _, s := range outreach.Scopes {
		env.tokens[string(s)] = env.token(string(s)+"-only", s)
	}
	env.tokens["all"] = env.token("everything", outreach.Scopes...)
	srv := httptest.NewServer(NewHandler(env.cfg))
	t.Cleanup(srv.Close)
	env.url = srv.URL
	if _, err := st.UpsertResidents(t.Context(), []outreach.Resident{
		{ID: "r1001", Name: "王秀英", Email: "wang@example.com", Phone: "+8613800138001", Locale: "zh-CN", Building: "1", Unit: "1201"},
		{ID: "r1003", Name: "Emily Carter", Email: "emily@example.com", Locale: "en", Building: "2"},
	}); err != nil {
		t.Fatal(err)
	}
	return env
}

// token creates a token in the store and returns its secret.
func (env *v1Env) token(name string, scopes ...outreach.Scope) string {
	env.t.Helper()
	secret, tok, err := outreach.NewToken(name, scopes)
	if err != nil {
		env.t.Fatal(err)
	}
	if err := env.store.CreateToken(env.t.Context(), tok); err != nil {
		env.t.Fatal(err)
	}
	return secret
}

// do sends a request with the token (none when ""), a JSON body when body
// is not "", and extra headers as name, value pairs.
func (env *v1Env) do(method, path, token, body string, headers ...string) response {
	env.t.Helper()
	req, err := http.NewRequestWithContext(env.t.Context(), method, env.url+path, strings.NewReader(body))
	if err != nil {
		env.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		env.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: raw}
}

// requestPath turns a route pattern into a method and a path, every
// {param} filled with "x".
func requestPath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return method, b.String()
		}
		j := strings.IndexByte(path[i:], '}')
		b.WriteString(path[:i] + "x")
		path = path[i+j+1:]
	}
}

// TestTokenMatrix walks every /v1/ route of the route table (the table the
// mux is built from, so no route escapes): no token, a malformed, unknown
// or revoked token is 401 with WWW-Authenticate: Bearer; a token with none
// of the route's scopes is 403; a token with any one of them gets past
// authentication (neither 401 nor 403).
func TestTokenMatrix(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	revoked := env.token("revoked", outreach.Scopes...)
	if _, err := env.store.RevokeToken(t.Context(), "revoked"); err != nil {
		t.Fatal(err)
	}
	routes := Routes(env.cfg)
	if len(routes) < 20 {
		t.Fatalf("the fixture serves %d routes; it should configure every part of the API", len(routes))
	}
	for _, rt := range routes {
		method, path := requestPath(rt.Pattern)
		body := ""
		if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
			body = "{}"
		}
		if len(rt.Scopes) == 0 {
			if rt.Pattern != "GET /v1/openapi.json" {
				t.Errorf("%s has no scopes: only the OpenAPI document is public", rt.Pattern)
			}
			if r := env.do(method, path, "", body); r.status != http.StatusOK {
				t.Errorf("%s without a token = %d, want 200 (public)", rt.Pattern, r.status)
			}
			continue
		}
		for name, tok := range map[string]string{"no": "", "a malformed": "not-a-token", "an unknown": outreach.TokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a revoked": revoked} {
			r := env.do(method, path, tok, body)
			if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s with %s token = %d (WWW-Authenticate %q), want 401 with Bearer", rt.Pattern, name, r.status, r.header.Get("WWW-Authenticate"))
			}
			checkErrorJSON(t, rt.Pattern, r)
		}
		for _, s := range outreach.Scopes {
			r := env.do(method, path, env.tokens[string(s)], body)
			if hasAny(outreach.Token{Scopes: []outreach.Scope{s}}, rt.Scopes) {
				if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
					t.Errorf("%s with a %s token = %d %s, want past authentication", rt.Pattern, s, r.status, r.body)
				}
				continue
			}
			if r.status != http.StatusForbidden || !strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_scope") {
				t.Errorf("%s with a %s token = %d (WWW-Authenticate %q), want 403 insufficient_scope", rt.Pattern, s, r.status, r.header.Get("WWW-Authenticate"))
			}
			checkErrorJSON(t, rt.Pattern, r)
		}
	}
}

func checkErrorJSON(t *testing.T, route string, r response) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: %d answer %q is not a JSON error", route, r.status, r.body)
	}
}

// TestScopeMatrix pins who may call what (docs/api.md, "API tokens"): a
// change to a route's scopes must be a change to this table too.
func TestScopeMatrix(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	want := map[string]string{
		"GET /v1/openapi.json":                      "",
		"POST /v1/jobs":                             "enqueue",
		"GET /v1/residents":                         "manage read",
		"GET /v1/residents/{id}":                    "manage read",
		"PUT /v1/residents/{id}":                    "manage",
		"PATCH /v1/residents/{id}":                  "manage",
		"PUT /v1/residents/{id}/opt-outs/{name}":    "manage",
		"DELETE /v1/residents/{id}/opt-outs/{name}": "manage",
		"GET /v1/estates":                           "manage read",
		"GET /v1/estates/{id}":                      "manage read",
		"POST /v1/estates":                          "manage",
		"PATCH /v1/estates/{id}":                    "manage",
		"DELETE /v1/estates/{id}":                   "manage",
		"GET /v1/archive/deliveries":                "read",
		"GET /v1/archive/replies":                   "read",
		"GET /v1/archive/jobs/{job}":                "read",
		"POST /v1/archive/jobs/{job}/note":          "manage",
		"GET /v1/archive/export":                    "read",
		"GET /v1/surveys":                           "read",
		"GET /v1/surveys/{id}":                      "read",
		"POST /v1/surveys/{id}/callback":            "manage",
		"GET /v1/satisfaction":                      "read",
		"POST /v1/templates/preview":                "manage",
		"POST /v1/campaigns":                        "manage",
		"GET /v1/campaigns":                         "manage read",
		"GET /v1/campaigns/{id}":                    "manage read",
		"POST /v1/campaigns/{id}/pause":             "manage",
		"POST /v1/campaigns/{id}/resume":            "manage",
		"POST /v1/campaigns/{id}/cancel":            "manage",
		"POST /v1/cases":                            "manage",
		"GET /v1/cases":                             "read",
		"GET /v1/cases/report":                      "read",
		"GET /v1/cases/{id}":                        "read",
		"POST /v1/cases/{id}/acknowledge":           "manage",
		"POST /v1/cases/{id}/start":                 "manage",
		"POST /v1/cases/{id}/assign":                "manage",
		"POST /v1/cases/{id}/note":                  "manage",
		"POST /v1/cases/{id}/resolve":               "manage",
		"POST /v1/cases/{id}/close":                 "manage",
	}
	got := map[string]string{}
	for _, rt := range Routes(env.cfg) {
		got[rt.Pattern] = strings.Join(scopeNames(rt.Scopes), " ")
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: scopes %q, want %q", p, got[p], w)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("route %s is not in the matrix; add it here and to docs/api.md", p)
		}
	}
}

// TestTokenUseIsRecorded: last-used is set on the first use, not on every
// request; a secret never reaches the log.
func TestTokenUseIsRecorded(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	if r := env.do("GET", "/v1/campaigns", env.tokens["read"], ""); r.status != http.StatusOK {
		t.Fatalf("GET /v1/campaigns = %d %s", r.status, r.body)
	}
	tok, err := env.store.TokenByHash(t.Context(), outreach.HashToken(env.tokens["read"]))
	if err != nil {
		t.Fatal(err)
	}
	if tok.LastUsedAt == nil {
		t.Error("LastUsedAt not set after a request")
	}
	other, _ := env.store.TokenByHash(t.Context(), outreach.HashToken(env.tokens["manage"]))
	if other.LastUsedAt != nil {
		t.Error("an unused token has a LastUsedAt")
	}
}

func TestBearerParsing(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]string{
		"Bearer otk_a": "otk_a", "bearer otk_a": "otk_a", "BEARER  otk_a ": "otk_a",
		"": "", "Bearer": "", "Bearer ": "", "Basic dXNlcjpwYXNz": "", "otk_a": "",
	} {
		got, ok := bearer(header)
		if got != want || ok != (want != "") {
			t.Errorf("bearer(%q) = %q, %v; want %q", header, got, ok, want)
		}
	}
}

// TestAuthStoreDown: when the token store fails the API answers 500 (not
// 401: the token may be good) and the log, which says why, never holds the
// secret.
func TestAuthStoreDown(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, _ := outreach.NewToken("svc", []outreach.Scope{outreach.ScopeRead})
	if err := st.CreateToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	st.Close()
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	srv := httptest.NewServer(NewHandler(Config{Gatherer: prometheus.NewRegistry(), Store: st, Logger: logger, Auth: &TokenAuth{Store: st, Logger: logger}}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/archive/deliveries", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("store down: %d, want 500", res.StatusCode)
	}
	if !strings.Contains(logs.String(), "authenticate") {
		t.Errorf("log %q does not say what failed", logs.String())
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), outreach.HashToken(secret)) {
		t.Errorf("log holds the token: %s", logs.String())
	}
}

// countingTokens counts TouchToken calls.
type countingTokens struct {
	outreach.TokenStore
	touches int
}

func (c *countingTokens) TouchToken(ctx context.Context, id string, at time.Time) error {
	c.touches++
	return c.TokenStore.TouchToken(ctx, id, at)
}

// TestTouchThrottled: a busy token is written back at most once a minute.
func TestTouchThrottled(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, tok, _ := outreach.NewToken("busy", []outreach.Scope{outreach.ScopeRead})
	if err := st.CreateToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	counter := &countingTokens{TokenStore: st}
	a := &TokenAuth{Store: counter, Now: func() time.Time { return now }}
	for i := range 5 {
		if _, err := a.Authenticate(t.Context(), secret); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		now = now.Add(10 * time.Second)
	}
	if counter.touches != 1 {
		t.Errorf("5 requests in 50s touched the token %d times, want 1", counter.touches)
	}
	now = now.Add(time.Minute)
	if _, err := a.Authenticate(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	if counter.touches != 2 {
		t.Errorf("a request a minute later: %d touches, want 2", counter.touches)
	}
	got, _ := st.TokenByHash(t.Context(), outreach.HashToken(secret))
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, now)
	}
}
