package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestReadyz(t *testing.T) {
	t.Parallel()
	down := errors.New("connection refused")
	tests := []struct {
		name   string
		checks map[string]Check
		want   int
	}{
		{"all up", map[string]Check{"redis": func(context.Context) error { return nil }, "store": func(context.Context) error { return nil }}, 200},
		{"store down", map[string]Check{"redis": func(context.Context) error { return nil }, "store": func(context.Context) error { return down }}, 503},
		{"slow check times out", map[string]Check{"redis": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}, 503},
		// A Redis client reading from a SIGSTOPped server answers after its
		// own timeouts, not the context's: /readyz must not wait for it.
		{"check deaf to its context", map[string]Check{"redis": func(context.Context) error { time.Sleep(300 * time.Millisecond); return nil }}, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(NewHandler(Config{Gatherer: prometheus.NewRegistry(), Checks: tt.checks, CheckTimeout: 50e6}))
			defer srv.Close()
			res, err := http.Get(srv.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.want)
			}
			var body map[string]string
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if len(body) != len(tt.checks) {
				t.Errorf("body %v lacks checks", body)
			}
		})
	}
}

func TestMetricsAndHealthz(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "outreach_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	srv := httptest.NewServer(NewHandler(Config{Gatherer: reg}))
	defer srv.Close()
	for path, want := range map[string]string{"/metrics": "outreach_test_total 3", "/healthz": `"ok"`} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d %q, want 200 containing %q", path, res.StatusCode, b, want)
		}
	}
	res, err := http.Post(srv.URL+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", res.StatusCode)
	}
}
