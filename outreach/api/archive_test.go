package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func (env *v1Env) seedArchive() {
	env.t.Helper()
	now := time.Now().UTC()
	ds := []outreach.Delivery{
		{ID: "d1", JobID: "j1", ResidentID: "r1001", Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelSMS, Status: outreach.StatusSent, Body: "停水通知", Building: "1", Unit: "1201", CreatedAt: now.Add(-2 * time.Hour)},
		{ID: "d2", JobID: "j2", ResidentID: "r1003", Kind: outreach.KindHolidayGreeting, Channel: outreach.ChannelEmail, Status: outreach.StatusFailed, Error: "smtp 550", Campaign: "c1", Building: "2", Unit: "0301", CreatedAt: now.Add(-time.Hour)},
		{ID: "d3", JobID: "j3", ResidentID: "r1001", Kind: outreach.KindFollowUp, Channel: outreach.ChannelEmail, Status: outreach.StatusSent, Building: "1", Unit: "0101", CreatedAt: now.Add(-48 * time.Hour)},
	}
	if err := env.store.Record(env.t.Context(), ds); err != nil {
		env.t.Fatal(err)
	}
	if _, err := env.store.RecordReply(env.t.Context(), outreach.Reply{ID: "SM1", Channel: outreach.ChannelSMS, From: "+8613800138001",
		ResidentID: "r1001", DeliveryID: "d1", JobID: "j1", Body: "5", ReceivedAt: now.Add(-30 * time.Minute)}); err != nil {
		env.t.Fatal(err)
	}
}

func TestArchiveDeliveries(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	env.seedArchive()
	tests := []struct {
		query string
		want  string
	}{
		{"", "d2 d1 d3"},
		{"resident=r1001", "d1 d3"},
		{"kind=holiday_greeting", "d2"},
		{"channel=email&status=sent", "d3"},
		{"campaign=c1", "d2"},
		{"job=j1", "d1"},
		{"since=24h", "d2 d1"},
		{"since=1d", "d2 d1"},
		{"since=3d", "d2 d1 d3"},
		{"until=" + url.QueryEscape(time.Now().Add(-90*time.Minute).Format(time.RFC3339)), "d1 d3"},
		{"limit=1", "d2"},
		{"building=1", "d1 d3"},
		{"building=1&unit=1201", "d1"},
		{"unit=0301", "d2"},
		{"delivery=d3", "d3"},
	}
	for _, tt := range tests {
		r := env.do("GET", "/v1/archive/deliveries?"+tt.query, env.tokens["read"], "")
		if r.status != http.StatusOK {
			t.Errorf("%s: %d %s", tt.query, r.status, r.body)
			continue
		}
		var got struct{ Deliveries []outreach.Delivery }
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range got.Deliveries {
			ids = append(ids, d.ID)
		}
		if strings.Join(ids, " ") != tt.want {
			t.Errorf("?%s = %v, want %s", tt.query, ids, tt.want)
		}
	}
}

func TestArchiveReplies(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	env.seedArchive()
	r := env.do("GET", "/v1/archive/replies?resident=r1001&since=1h", env.tokens["read"], "")
	var got struct{ Replies []outreach.Reply }
	if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 || len(got.Replies) != 1 || got.Replies[0].JobID != "j1" {
		t.Errorf("replies = %d %s, want SM1", r.status, r.body)
	}
	r = env.do("GET", "/v1/archive/replies?resident=r1003", env.tokens["read"], "")
	if r.status != 200 || !strings.Contains(string(r.body), `"replies":[]`) {
		t.Errorf("no replies = %d %s, want an empty list", r.status, r.body)
	}
}

func TestArchiveFilterRejects(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	for query, field := range map[string]string{
		"kind=party":             "kind",
		"channel=fax":            "channel",
		"status=lost":            "status",
		"since=yesterday":        "since",
		"since=":                 "since",
		"since=-1d":              "since",
		"since=1.5d":             "since",
		"until=24h":              "until",
		"limit=0":                "limit",
		"limit=1001":             "limit",
		"resident=a&resident=b":  "resident",
		"residnet=a":             "residnet",
		"job=%ff":                "job",
		"after=***":              "after",
		"after=bm90LWEtY3Vyc29y": "after",
		"building=a&building=b":  "building",
	} {
		r := env.do("GET", "/v1/archive/deliveries?"+query, env.tokens["read"], "")
		if r.status != http.StatusBadRequest || decodeErr(t, r).Field != field {
			t.Errorf("?%s = %d %s, want 400 naming %s", query, r.status, r.body, field)
		}
	}
	// Replies take fewer filters.
	r := env.do("GET", "/v1/archive/replies?status=sent", env.tokens["read"], "")
	if r.status != http.StatusBadRequest || decodeErr(t, r).Field != "status" {
		t.Errorf("replies?status= = %d %s, want 400 naming status", r.status, r.body)
	}
}

func TestTemplatePreview(t *testing.T) {
	t.Parallel()
	env := newV1Env(t)
	tok := env.tokens["manage"]
	r := env.do("POST", "/v1/templates/preview", tok, `{"kind":"follow_up","resident_id":"r1003","data":{"topic":"parking noise"}}`)
	if r.status != http.StatusOK {
		t.Fatalf("preview = %d %s", r.status, r.body)
	}
	var p struct {
		ResidentID string `json:"resident_id"`
		Renderings []struct {
			Channel, Locale, Subject, Text, Error string
			SMS                                   *struct{ Segments int }
		}
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.ResidentID != "r1003" || len(p.Renderings) != 2 {
		t.Fatalf("preview %s, want email and sms for r1003", r.body)
	}
	for _, m := range p.Renderings {
		if m.Error != "" || m.Locale != "en" || !strings.Contains(m.Text, "parking noise") {
			t.Errorf("%s rendering %+v, want English text with the topic", m.Channel, m)
		}
	}
	// A missing variable is the channel's error, named.
	r = env.do("POST", "/v1/templates/preview", tok, `{"kind":"follow_up","resident_id":"r1003","channel":"sms"}`)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "topic") {
		t.Errorf("preview without data = %d %s, want 200 with an error naming topic", r.status, r.body)
	}
	for body, want := range map[string]int{
		`{"kind":"party","resident_id":"r1003"}`:                   400,
		`{"kind":"follow_up"}`:                                     400,
		`{"kind":"follow_up","resident_id":"r1003","channel":"x"}`: 400,
		`{"kind":"follow_up","resident_id":"nobody"}`:              404,
	} {
		if r := env.do("POST", "/v1/templates/preview", tok, body); r.status != want {
			t.Errorf("preview %s = %d %s, want %d", body, r.status, r.body, want)
		}
	}
}
