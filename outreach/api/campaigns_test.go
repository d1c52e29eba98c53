package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

func campaignServer(t *testing.T, middleware func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := &campaign.Service{Store: st, Zone: time.UTC}
	srv := httptest.NewServer(NewHandler(Config{Gatherer: prometheus.NewRegistry(), Campaigns: svc, Middleware: middleware}))
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request and decodes the JSON answer into out (when not nil).
func call(t *testing.T, method, url, body string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: answer %q is not JSON: %v", method, url, raw, err)
		}
	}
	return res
}

func TestCampaignAPI(t *testing.T) {
	t.Parallel()
	srv := campaignServer(t, nil)
	base := srv.URL + "/v1/campaigns"

	var created outreach.Campaign
	res := call(t, "POST", base, `{"name":"Spring Festival","kind":"holiday_greeting","audience":{"building":"3","tags":["elderly"]},
		"channels":["sms","email"],"data":{"holiday":"Spring Festival"},"schedule":{"local_time":"09:00","on":"2027-02-17"}}`, &created)
	if res.StatusCode != http.StatusCreated || created.ID == "" || res.Header.Get("Location") != "/v1/campaigns/"+created.ID {
		t.Fatalf("create: %d %+v (Location %q)", res.StatusCode, created, res.Header.Get("Location"))
	}
	if created.State != outreach.CampaignScheduled || created.Audience.Building != "3" || created.Schedule.LocalTime != "09:00" || created.NextRun == nil {
		t.Errorf("created %+v", created)
	}

	var view campaign.View
	if res := call(t, "GET", base+"/"+created.ID, "", &view); res.StatusCode != 200 || view.ID != created.ID {
		t.Errorf("show: %d %+v", res.StatusCode, view)
	}
	var list struct{ Campaigns []outreach.Campaign }
	if res := call(t, "GET", base, "", &list); res.StatusCode != 200 || len(list.Campaigns) != 1 {
		t.Errorf("list: %d %+v", res.StatusCode, list)
	}

	steps := []struct {
		op, id string
		status int
		state  outreach.CampaignState
	}{
		{"pause", created.ID, 200, outreach.CampaignPaused},
		{"resume", created.ID, 200, outreach.CampaignScheduled},
		{"cancel", created.ID, 200, outreach.CampaignCancelled},
		{"resume", created.ID, 409, ""},
		{"pause", "nope", 404, ""},
	}
	for _, s := range steps {
		var got map[string]any
		res := call(t, "POST", base+"/"+s.id+"/"+s.op, "", &got)
		if res.StatusCode != s.status {
			t.Errorf("%s %s: status %d (%v), want %d", s.op, s.id, res.StatusCode, got, s.status)
			continue
		}
		if s.state != "" && got["state"] != string(s.state) {
			t.Errorf("%s: state %v, want %s", s.op, got["state"], s.state)
		}
		if s.state == "" && got["error"] == "" {
			t.Errorf("%s: no error message in %v", s.op, got)
		}
	}
}

func TestCampaignAPIRejectsBadRequests(t *testing.T) {
	t.Parallel()
	srv := campaignServer(t, nil)
	base := srv.URL + "/v1/campaigns"
	tests := []struct {
		name, body, want string
		status           int
	}{
		{"not JSON", `nope`, "invalid JSON", 400},
		{"unknown field", `{"name":"x","kind":"follow_up","audience":{"all":true},"state":"done"}`, "unknown field", 400},
		{"trailing data", `{"name":"x","kind":"follow_up","audience":{"all":true}} {}`, "trailing data", 400},
		{"nobody", `{"name":"x","kind":"follow_up","audience":{}}`, "selects nobody", 400},
		{"bad cron", `{"name":"x","kind":"follow_up","audience":{"all":true},"schedule":{"every":"sometimes"}}`, "cron expression", 400},
		{"too big", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "", 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got map[string]string
			res := call(t, "POST", base, tt.body, &got)
			if res.StatusCode != tt.status || !strings.Contains(got["error"], tt.want) {
				t.Errorf("status %d, error %q; want %d and %q", res.StatusCode, got["error"], tt.status, tt.want)
			}
		})
	}
	if res := call(t, "GET", base+"/nope", "", nil); res.StatusCode != 404 {
		t.Errorf("show unknown: %d, want 404", res.StatusCode)
	}
}

// TestMiddlewareWrapsTheAPI: the middleware guards /v1/ and nothing else.
func TestMiddlewareWrapsTheAPI(t *testing.T) {
	t.Parallel()
	guard := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer ok" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := campaignServer(t, guard)
	if res := call(t, "GET", srv.URL+"/v1/campaigns", "", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("/v1/campaigns without credentials: %d, want 401", res.StatusCode)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/v1/campaigns", nil)
	req.Header.Set("Authorization", "Bearer ok")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("/v1/campaigns with credentials: %d, want 200", res.StatusCode)
	}
	if res := call(t, "GET", srv.URL+"/healthz", "", nil); res.StatusCode != 200 {
		t.Errorf("/healthz behind the middleware: %d", res.StatusCode)
	}
}
