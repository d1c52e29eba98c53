package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/sms/twiliotest"
)

func (env *webhookEnv) resident(t *testing.T, id string) outreach.Resident {
	t.Helper()
	r, err := env.store.Resident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTwilioInboundStopAndStart: STOP (in any of its forms) opts every
// resident with the number out of SMS and is archived; START opts them
// back in.
func TestTwilioInboundStopAndStart(t *testing.T) {
	t.Parallel()
	env := newWebhookEnv(t, nil)
	ctx := context.Background()
	if _, err := env.store.UpsertResidents(ctx, []outreach.Resident{
		{ID: "r1", Name: "王秀英", Phone: residentPhone, Email: "wang@example.com"},
		{ID: "r1-son", Name: "王小明", Phone: residentPhone}, // the family shares the number
		{ID: "r2", Name: "李明", Phone: "+8613800138999"},
	}); err != nil {
		t.Fatal(err)
	}
	ts := twiliotest.NewServer(t)
	inbound := env.srv.URL + sms.InboundPath
	post := func(from, body string) {
		t.Helper()
		if code, err := twiliotest.Post(inbound, twiliotest.AuthToken, ts.InboundForm(from, "+15005550006", body)); err != nil || code != 200 {
			t.Fatalf("inbound %q: %d %v", body, code, err)
		}
	}
	optedOut := func(id string) bool { return slices.Contains(env.resident(t, id).OptOutChannels, outreach.ChannelSMS) }

	post(residentPhone, "退订")
	if !optedOut("r1") || !optedOut("r1-son") || optedOut("r2") {
		t.Errorf("after 退订: r1 %v, r1-son %v, r2 %v; want the two with the number opted out of SMS", optedOut("r1"), optedOut("r1-son"), optedOut("r2"))
	}
	if r := env.resident(t, "r1"); slices.Contains(r.OptOutChannels, outreach.ChannelEmail) {
		t.Errorf("STOP by SMS opted r1 out of email too: %v", r.OptOutChannels)
	}
	post(residentPhone, "START")
	if optedOut("r1") || optedOut("r1-son") {
		t.Error("START did not opt the number back in")
	}
	post("+8613800138999", " td ")
	if !optedOut("r2") {
		t.Error("TD did not opt r2 out")
	}
	post("+8613900000000", "STOP") // nobody's number: archived all the same

	replies, err := env.store.Replies(ctx, outreach.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range replies {
		actions = append(actions, string(r.Action))
	}
	slices.Sort(actions)
	if want := []string{"opt_in", "opt_out", "opt_out", "opt_out"}; !slices.Equal(actions, want) {
		t.Errorf("archived reply actions %v, want %v", actions, want)
	}
	if got := testutil.ToFloat64(env.metrics.OptOuts.WithLabelValues("sms", "reply", "out")); got != 3 {
		t.Errorf("recorded opt-outs = %v, want 3 (r1, r1-son, r2)", got)
	}
	if got := testutil.ToFloat64(env.metrics.Replies.WithLabelValues("sms", "opt_out")); got != 3 {
		t.Errorf("opt-out replies = %v, want 3", got)
	}
	for estate, want := range map[string]float64{outreach.DefaultEstateID: 2, metrics.NoEstate: 1} {
		if got := testutil.ToFloat64(env.metrics.Estates.Replies.WithLabelValues(estate, "opt_out")); got != want {
			t.Errorf("opt-out replies of estate %s = %v, want %v", estate, got, want)
		}
	}
}

func TestUnsubscribeEndpoint(t *testing.T) {
	t.Parallel()
	env := newWebhookEnv(t, nil)
	ctx := context.Background()
	if _, err := env.store.UpsertResidents(ctx, []outreach.Resident{
		{ID: "r1", Name: "Emily Carter", Email: "emily@example.com"},
		{ID: "r2", Name: "Tom Wu", Email: "tom@example.com"},
	}); err != nil {
		t.Fatal(err)
	}
	link := env.wh.Unsubscribe.Link("r1", outreach.ChannelEmail, outreach.KindHolidayGreeting)
	local := env.srv.URL + strings.TrimPrefix(link, "https://outreach.example.com")
	kinds := func(id string) []outreach.Kind { return env.resident(t, id).OptOutKinds }

	// A mail scanner's GET shows the button and changes nothing.
	resp, err := http.Get(local)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `<form method="post">`) || len(kinds("r1")) != 0 {
		t.Errorf("GET = %d, opt-outs %v; want the confirmation page and nothing recorded", resp.StatusCode, kinds("r1"))
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers = %v, want no-store and no-referrer", resp.Header)
	}

	// The mail client's one-click POST (RFC 8058), twice: idempotent.
	for range 2 {
		resp, err := http.Post(local, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("POST = %d, want 200", resp.StatusCode)
		}
	}
	if got := kinds("r1"); !slices.Equal(got, []outreach.Kind{outreach.KindHolidayGreeting}) {
		t.Errorf("r1 opt-out kinds = %v, want [holiday_greeting]", got)
	}
	if r := env.resident(t, "r1"); len(r.OptOutChannels) != 0 {
		t.Errorf("unsubscribing from greetings opted r1 out of channels %v", r.OptOutChannels)
	}

	// r1's link edited to name r2 does not unsubscribe r2.
	token := strings.TrimPrefix(link, "https://outreach.example.com/unsubscribe/")
	_, sig, _ := strings.Cut(token, ".")
	forged := env.srv.URL + "/unsubscribe/" + "eyJyIjoicjIiLCJjIjoiZW1haWwiLCJrIjoiaG9saWRheV9ncmVldGluZyJ9." + sig
	resp, err = http.PostForm(forged, url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(kinds("r2")) != 0 {
		t.Errorf("forged link: %d, r2 opt-outs %v; want 400 and none", resp.StatusCode, kinds("r2"))
	}

	// A resident who left the directory: nothing to do, still a 200.
	gone := env.wh.Unsubscribe.Link("r-gone", outreach.ChannelEmail, outreach.KindHolidayGreeting)
	resp, err = http.PostForm(env.srv.URL+strings.TrimPrefix(gone, "https://outreach.example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("link of a resident no longer there: %d, want 200", resp.StatusCode)
	}
	if got := testutil.ToFloat64(env.metrics.WebhookRequests.WithLabelValues("unsubscribe", "bad_request")); got != 1 {
		t.Errorf("refused unsubscribe requests = %v, want 1", got)
	}
}
