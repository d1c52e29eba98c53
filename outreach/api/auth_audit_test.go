package api

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

type fixedAuth struct{ t outreach.Token }

func (a fixedAuth) Authenticate(_ context.Context, secret string) (outreach.Token, error) {
	if secret != "otk_good" {
		return outreach.Token{}, ErrInvalidToken
	}
	return a.t, nil
}

// TestRefusedTokenAudit: every request turned away for its token leaves
// one audit line with the route and the reason, never the secret.
func TestRefusedTokenAudit(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux := http.NewServeMux()
	mux.Handle("GET /v1/archive/deliveries", authenticate(fixedAuth{outreach.Token{Name: "billing", Scopes: []outreach.Scope{outreach.ScopeEnqueue}}}, logger,
		requireScope([]outreach.Scope{outreach.ScopeRead}, logger, ok)))
	for _, tt := range []struct {
		header, reason string
		status         int
	}{
		{"", "missing_token", http.StatusUnauthorized},
		{"Bearer otk_leaked_secret_value", "invalid_token", http.StatusUnauthorized},
		{"Bearer otk_good", "insufficient_scope", http.StatusForbidden},
	} {
		buf.Reset()
		req := httptest.NewRequest("GET", "/v1/archive/deliveries", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		line := buf.String()
		if rec.Code != tt.status || strings.Count(line, "\n") != 1 || !strings.Contains(line, `"reason":"`+tt.reason+`"`) ||
			!strings.Contains(line, `"route":"GET /v1/archive/deliveries"`) {
			t.Errorf("%q: status %d, log %q; want %d and one audit line with reason %s and the route", tt.header, rec.Code, line, tt.status, tt.reason)
		}
		if strings.Contains(line, "leaked_secret") || strings.Contains(line, "otk_good") {
			t.Errorf("the audit line holds the secret: %s", line)
		}
	}
}
