package api

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// TestOpenAPIMatchesRoutes: every route of the table is in the document
// with the same scopes (x-scopes; public: security []), and every
// operation of the document is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	env := newV1Env(t)
	inTable := map[string]bool{}
	for _, rt := range Routes(env.cfg) {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		inTable[method+" "+path] = true
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s is not in openapi.json", rt.Pattern)
			continue
		}
		op := item.GetOperation(method)
		var scopes []string
		if raw, ok := op.Extensions["x-scopes"].([]any); ok {
			for _, s := range raw {
				scopes = append(scopes, s.(string))
			}
		}
		if want := scopeNames(rt.Scopes); !slices.Equal(scopes, want) {
			t.Errorf("%s: openapi.json x-scopes %v, the route takes %v", rt.Pattern, scopes, want)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (len(rt.Scopes) == 0) {
			t.Errorf("%s: public in openapi.json %v, in the route table %v", rt.Pattern, public, len(rt.Scopes) == 0)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !inTable[method+" "+path] {
				t.Errorf("openapi.json has %s %s, which no route serves", method, path)
			}
		}
	}
}

// openAPIChecker validates requests and answers against the document.
type openAPIChecker struct {
	t   *testing.T
	doc *openapi3.T
}

// route finds the operation of a request path, with its path parameters.
func (c openAPIChecker) route(method, path string) (*routers.Route, map[string]string) {
	c.t.Helper()
	segs := strings.Split(path, "/")
	// Literal segments win over parameters (/v1/cases/report over
	// /v1/cases/{id}), as in net/http's mux: fewer parameters first.
	tmpls := slices.Collect(maps.Keys(c.doc.Paths.Map()))
	slices.SortFunc(tmpls, func(a, b string) int { return cmp.Compare(strings.Count(a, "{"), strings.Count(b, "{")) })
	for _, tmpl := range tmpls {
		item := c.doc.Paths.Map()[tmpl]
		tsegs := strings.Split(tmpl, "/")
		if len(tsegs) != len(segs) || item.GetOperation(method) == nil {
			continue
		}
		params := map[string]string{}
		match := true
		for i, ts := range tsegs {
			if strings.HasPrefix(ts, "{") {
				params[strings.Trim(ts, "{}")] = segs[i]
			} else if ts != segs[i] {
				match = false
				break
			}
		}
		if match {
			return &routers.Route{Spec: c.doc, Path: tmpl, PathItem: item, Method: method, Operation: item.GetOperation(method)}, params
		}
	}
	c.t.Fatalf("%s %s is not in openapi.json", method, path)
	return nil, nil
}

var bearerAuth = openapi3filter.Options{
	IncludeResponseStatus: true,
	AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		if _, ok := bearer(in.RequestValidationInput.Request.Header.Get("Authorization")); !ok {
			return errors.New("no bearer token")
		}
		return nil
	},
}

// exchange sends a request through env and validates the answer against
// the document (its status must be documented, its body match the
// schema), and the request too when it is meant to be valid.
func (c openAPIChecker) exchange(env *v1Env, validRequest bool, method, pathQuery, token, body string, headers ...string) response {
	c.t.Helper()
	path, _, _ := strings.Cut(pathQuery, "?")
	rt, params := c.route(method, path)
	req, err := http.NewRequest(method, env.url+pathQuery, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
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
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt, Options: &bearerAuth}
	if validRequest {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			c.t.Errorf("%s %s: the request does not match openapi.json: %v", method, pathQuery, err)
		}
		req.Body = io.NopCloser(strings.NewReader(body)) // the validator read it
	}
	r := env.do(method, pathQuery, token, body, headers...)
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header,
		Body: io.NopCloser(bytes.NewReader(r.body)), Options: &bearerAuth}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s %s: the answer %d %s does not match openapi.json: %v", method, pathQuery, r.status, r.body, err)
	}
	return r
}

// TestOpenAPIValidatesExchanges runs the main routes, good requests and
// bad ones, and validates every answer (and the good requests) against
// openapi.json.
func TestOpenAPIValidatesExchanges(t *testing.T) {
	t.Parallel()
	c := openAPIChecker{t: t, doc: loadOpenAPI(t)}
	env := newV1Env(t)
	env.seedArchive()
	all, enqueue, read := env.tokens["all"], env.tokens["enqueue"], env.tokens["read"]
	steps := []struct {
		valid             bool
		method, path, tok string
		body              string
		headers           []string
		want              int
	}{
		{true, "GET", "/v1/openapi.json", "", "", nil, 200},
		{true, "POST", "/v1/jobs", enqueue, waterCut, []string{"Idempotency-Key", "oa-1"}, 202},
		{true, "POST", "/v1/jobs", enqueue, waterCut, []string{"Idempotency-Key", "oa-1"}, 202},
		{true, "POST", "/v1/jobs", enqueue, `{"kind":"follow_up","resident_id":"r1003","data":{"topic":"x"}}`, []string{"Idempotency-Key", "oa-1"}, 422},
		{true, "POST", "/v1/jobs", enqueue, `{"kind":"follow_up","resident":{"id":"ext-7","name":"Olivia Brown","email":"olivia@example.com","locale":"en"},"follow_up":{"kind":"satisfaction_callback","after":"24h"}}`, nil, 202},
		{false, "POST", "/v1/jobs", enqueue, `{"kind":"party"}`, nil, 400},
		{false, "POST", "/v1/jobs", "", waterCut, nil, 401},
		{true, "POST", "/v1/jobs", read, waterCut, nil, 403},
		{true, "GET", "/v1/residents?building=1&tag=elderly&limit=10", read, "", nil, 200},
		{true, "GET", "/v1/residents?limit=1", all, "", nil, 200},
		{true, "GET", "/v1/residents/r1001", read, "", nil, 200},
		{true, "GET", "/v1/residents/nobody", read, "", nil, 404},
		{true, "PUT", "/v1/residents/r2001", all, `{"name":"李华","phone":"+8613800138022","locale":"zh-CN","tags":["new_resident"],"attributes":{"parking":"B2-17"}}`, nil, 201},
		{true, "PUT", "/v1/residents/r2001", all, `{"name":"李华","phone":"+8613800138022"}`, nil, 200},
		{true, "PATCH", "/v1/residents/r2001", all, `{"unit":"302","attributes":{"parking":null}}`, nil, 200},
		{false, "PATCH", "/v1/residents/r2001", all, `{"phone":"12"}`, nil, 400},
		{true, "PUT", "/v1/residents/r2001/opt-outs/sms", all, "", nil, 204},
		{true, "DELETE", "/v1/residents/r2001/opt-outs/sms", all, "", nil, 204},
		{true, "POST", "/v1/campaigns", all, `{"name":"Spring Festival","kind":"holiday_greeting","audience":{"building":"1"},"data":{"holiday":"Spring Festival"},"schedule":{"at":"2027-02-17T09:00:00+08:00"}}`, nil, 201},
		{true, "GET", "/v1/campaigns", read, "", nil, 200},
		{true, "GET", "/v1/campaigns/nope", read, "", nil, 404},
		{true, "POST", "/v1/campaigns/nope/pause", all, "", nil, 404},
		{true, "POST", "/v1/templates/preview", all, `{"kind":"follow_up","resident_id":"r1003","data":{"topic":"parking"}}`, nil, 200},
		{true, "GET", "/v1/archive/deliveries?resident=r1001&kind=maintenance_notice&since=24h&limit=5", read, "", nil, 200},
		{true, "GET", "/v1/archive/deliveries", read, "", nil, 200},
		{false, "GET", "/v1/archive/deliveries?status=lost", read, "", nil, 400},
		{true, "GET", "/v1/archive/replies?resident=r1001", read, "", nil, 200},
		{true, "GET", "/v1/archive/replies", enqueue, "", nil, 403},
		{true, "GET", "/v1/archive/deliveries?building=1&unit=1201&limit=1", read, "", nil, 200},
		{true, "GET", "/v1/archive/deliveries?limit=1", read, "", nil, 200}, // answers with next
		{false, "GET", "/v1/archive/deliveries?after=***", read, "", nil, 400},
		{true, "GET", "/v1/archive/jobs/j1", read, "", nil, 200},
		{true, "GET", "/v1/archive/jobs/j1?resident=r1003", read, "", nil, 404},
		{true, "GET", "/v1/archive/jobs/j1", enqueue, "", nil, 403},
		{true, "POST", "/v1/archive/jobs/j1/note", all, `{"note":"called back, resolved","resident_id":"r1001"}`, nil, 200},
		{false, "POST", "/v1/archive/jobs/j1/note", all, `{"text":"called back"}`, nil, 400},
		{true, "POST", "/v1/archive/jobs/nope/note", all, `{"note":"x"}`, nil, 404},
		{true, "POST", "/v1/archive/jobs/j1/note", read, `{"note":"x"}`, nil, 403},
		{true, "GET", "/v1/archive/export?format=csv&bom=1&since=24h", read, "", nil, 200},
		{false, "GET", "/v1/archive/export?format=xlsx", read, "", nil, 400},
		{false, "GET", "/v1/archive/export", "", "", nil, 401},
		{true, "POST", "/v1/estates", all, sunshine, nil, 201},
		{true, "POST", "/v1/estates", all, sunshine, nil, 409},
		{true, "POST", "/v1/estates", all, `{"id":"bad","name":"Bad","sms_signature":"阳光花园"}`, nil, 400},
		{true, "GET", "/v1/estates", read, "", nil, 200},
		{true, "GET", "/v1/estates/sunshine", read, "", nil, 200},
		{true, "GET", "/v1/estates/nowhere", read, "", nil, 404},
		{true, "PATCH", "/v1/estates/sunshine", all, `{"office_hours":"8:00-18:00"}`, nil, 200},
		{true, "PATCH", "/v1/estates/sunshine", all, `{"time_zone":"Mars/Olympus"}`, nil, 400},
		{true, "PUT", "/v1/residents/r2002", all, `{"name":"赵敏","estate":"sunshine","phone":"+8613800138023"}`, nil, 201},
		{true, "GET", "/v1/residents?estate=sunshine", read, "", nil, 200},
		{true, "DELETE", "/v1/estates/sunshine", all, "", nil, 409},
		{true, "PATCH", "/v1/residents/r2002", all, `{"estate":""}`, nil, 200},
		{true, "DELETE", "/v1/estates/sunshine", all, "", nil, 204},
		{true, "DELETE", "/v1/estates/sunshine", all, "", nil, 404},
		{true, "GET", "/v1/archive/deliveries?estate=default", read, "", nil, 200},
		{true, "GET", "/v1/archive/replies?estate=default", read, "", nil, 200},
		{true, "GET", "/v1/archive/export?estate=default", read, "", nil, 200},
	}
	for _, s := range steps {
		if r := c.exchange(env, s.valid, s.method, s.path, s.tok, s.body, s.headers...); r.status != s.want {
			t.Errorf("%s %s = %d %s, want %d", s.method, s.path, r.status, r.body, s.want)
		}
	}
	// The campaign routes with an id that exists.
	cs, err := env.cfg.Campaigns.List(t.Context())
	if err != nil || len(cs) != 1 {
		t.Fatalf("campaigns %v, %v", cs, err)
	}
	for _, step := range []struct{ method, path string }{
		{"GET", "/v1/campaigns/" + cs[0].ID}, {"POST", "/v1/campaigns/" + cs[0].ID + "/pause"},
		{"POST", "/v1/campaigns/" + cs[0].ID + "/resume"}, {"POST", "/v1/campaigns/" + cs[0].ID + "/cancel"},
	} {
		if r := c.exchange(env, true, step.method, step.path, all, ""); r.status != 200 {
			t.Errorf("%s %s = %d %s", step.method, step.path, r.status, r.body)
		}
	}
	if r := c.exchange(env, true, "POST", "/v1/campaigns/"+cs[0].ID+"/resume", all, ""); r.status != 409 {
		t.Errorf("resume a cancelled campaign = %d %s, want 409", r.status, r.body)
	}
}
