package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// TestCaseLoopDoneWhen is issue 13's "done when", on real Redis, both
// archive drivers, the real twilio-go client against the Twilio stand-in
// and a fake clock, with two daemons sharing Redis and the archive: a
// lift-fault case opened over HTTP sends the acknowledgment at once (a
// repeated POST with its Idempotency-Key sends nothing more); when its
// limits pass it escalates to the estate's staff, then its manager, once
// each although both daemons sweep; the resolution notice goes on
// resolve, the follow-up with its survey after 24 h; a reply of 2 reopens
// the case and escalates it; the history over HTTP has every step with
// its time and who. An inbound SMS that answers no survey opens a case
// only on the daemon with OUTREACH_CASES_FROM_INBOUND on. Then both
// daemons stop, and the reopened case's timer fires in a third daemon
// started later.
func TestCaseLoopDoneWhen(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testCaseLoop(t, url)
		})
	}
}

func testCaseLoop(t *testing.T, databaseURL string) {
	ctx := context.Background()
	clock := newMovingClock(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	advance := func(d time.Duration) { clock.Set(clock.Now().Add(d)) }
	sweep := func(o *daemon.Options) { o.CaseSweepEvery = 50 * time.Millisecond }
	h1 := newHarnessWith(t, databaseURL, func(c *config.Config, d *dispatch.Config) {
		withPublicURL(c)
		c.Cases.FromInbound = true
		d.Now = clock.Now
	}, sweep)
	peer := func(name string) func(*config.Config, *dispatch.Config) {
		return func(c *config.Config, d *dispatch.Config) {
			withPublicURL(c)
			c.Stream, c.Consumer = h1.keys.Stream, name
			c.SMTPURL, c.TwilioAPIURL = outreach.Secret(h1.smtp.URL()), h1.twilio.URL
			d.Now = clock.Now
		}
	}
	h2 := newHarnessWith(t, databaseURL, peer("daemon-2"), sweep)
	h1.forward()
	h2.forward()
	if err := h1.d.Store.CreateEstate(ctx, outreach.Estate{ID: "sunny", Name: "阳光花园"}); err != nil {
		t.Fatal(err)
	}
	const resident, staff, manager = "+8613800138701", "+8613800138702", "+8613800138703"
	h1.upsert(
		outreach.Resident{ID: "r-lift", Estate: "sunny", Name: "张伟", Phone: resident, Locale: "zh-CN", Building: "3", Unit: "1202"},
		outreach.Resident{ID: "s-1", Estate: "sunny", Name: "李明", Phone: staff, Locale: "zh-CN", Tags: []string{"staff"}},
		outreach.Resident{ID: "m-1", Estate: "sunny", Name: "王经理", Phone: manager, Locale: "zh-CN", Tags: []string{"manager"}},
	)
	secret, tok, err := outreach.NewToken("work-orders", []outreach.Scope{outreach.ScopeManage, outreach.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	if err := h1.d.Store.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	h1.start()
	h2.start()
	call := func(h *harness, method, path, body string, headers ...string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, "http://"+h.d.Addr()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res.StatusCode, raw
	}
	live := h1 // a daemon that is running
	state := func(id string) outreach.Case {
		t.Helper()
		c, err := live.d.Store.Case(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sms := func(to string) int { n, _ := h1.smsTo(to); return n }
	lastSMS := func(to string) string { _, b := h1.smsTo(to); return b[len(b)-1] }
	misses := func(stage string) float64 {
		return testutil.ToFloat64(h1.d.Metrics().CaseLimitMisses.WithLabelValues("lift", stage)) +
			testutil.ToFloat64(h2.d.Metrics().CaseLimitMisses.WithLabelValues("lift", stage))
	}
	// noMore: neither daemon, sweeping now without the lease, finds a
	// timer due; everything queued has been sent.
	noMore := func(hs ...*harness) {
		t.Helper()
		for _, h := range hs {
			if n, err := h.d.Cases.Fire(ctx); err != nil || n != 0 {
				t.Errorf("a second sweep fired %d timers (%v), want 0", n, err)
			}
		}
		eventually(t, "everything sent", h1.settled)
	}

	// Open over HTTP: the acknowledgment at once; a retry sends nothing.
	body := `{"resident_id":"r-lift","category":"lift","urgency":"urgent","received":"phone","description":"3号楼电梯停在8楼不动"}`
	code, raw := call(h1, "POST", "/v1/cases", body, "Idempotency-Key", "wo-5001")
	var c outreach.Case
	if err := json.Unmarshal(raw, &c); err != nil || code != http.StatusCreated {
		t.Fatalf("POST /v1/cases = %d %s", code, raw)
	}
	eventually(t, "the acknowledgment sent", func() bool { return h1.settled() && sms(resident) == 1 })
	if ack := lastSMS(resident); !strings.Contains(ack, c.ID) || !strings.Contains(ack, "2小时内") || !strings.Contains(ack, "电梯") {
		t.Errorf("acknowledgment %q: want the reference, the lift and 2 hours", ack)
	}
	if code, raw := call(h2, "POST", "/v1/cases", body, "Idempotency-Key", "wo-5001"); code != http.StatusOK || !strings.Contains(string(raw), c.ID) {
		t.Errorf("the repeated POST to the other daemon = %d %s, want 200 with %s", code, raw, c.ID)
	}

	// 16 minutes, nobody acknowledged: staff are told, once.
	advance(16 * time.Minute)
	eventually(t, "the acknowledge limit escalated to staff", func() bool { return h1.settled() && sms(staff) == 1 })
	noMore(h1, h2)
	if esc := lastSMS(staff); !strings.Contains(esc, c.ID) || !strings.Contains(esc, "超时未受理") {
		t.Errorf("staff escalation %q", esc)
	}
	if sms(staff) != 1 || sms(manager) != 0 || misses("acknowledge") != 1 {
		t.Errorf("after the acknowledge limit: staff %d, manager %d SMS, misses %v; want 1, 0, 1", sms(staff), sms(manager), misses("acknowledge"))
	}

	// Acknowledged late; the 2h respond limit passes too: the manager.
	if code, raw := call(h2, "POST", "/v1/cases/"+c.ID+"/acknowledge", `{"note":"维保已出发"}`); code != http.StatusOK {
		t.Fatalf("acknowledge = %d %s", code, raw)
	}
	advance(2 * time.Hour)
	eventually(t, "the respond limit escalated to the manager", func() bool { return h1.settled() && sms(manager) == 1 })
	noMore(h1, h2)
	if sms(staff) != 1 || sms(manager) != 1 || misses("respond") != 1 {
		t.Errorf("after the respond limit: staff %d, manager %d SMS, misses %v; want 1, 1, 1", sms(staff), sms(manager), misses("respond"))
	}

	// Resolved: the resolution notice at once.
	if code, raw := call(h1, "POST", "/v1/cases/"+c.ID+"/resolve", `{"resolution":"已更换门机皮带，电梯恢复运行"}`); code != http.StatusOK {
		t.Fatalf("resolve = %d %s", code, raw)
	}
	eventually(t, "the resolution notice sent", func() bool { return h1.settled() && sms(resident) == 2 })
	if n := lastSMS(resident); !strings.Contains(n, "已更换门机皮带") {
		t.Errorf("resolution notice %q", n)
	}

	// 23h: no follow-up yet; 24h: the follow-up with its survey.
	advance(23 * time.Hour)
	noMore(h1, h2)
	if sms(resident) != 2 {
		t.Errorf("the follow-up went before its delay")
	}
	advance(time.Hour)
	eventually(t, "the follow-up sent", func() bool { return h1.settled() && sms(resident) == 3 })
	if fu := lastSMS(resident); !strings.Contains(fu, "1-5") {
		t.Errorf("follow-up %q asks for no score", fu)
	}
	var sv outreach.Survey
	eventually(t, "the follow-up's survey open", func() bool {
		list, err := h1.d.Store.Surveys(ctx, outreach.SurveyFilter{ResidentIDs: []string{"r-lift"}})
		if err != nil || len(list) != 1 {
			return false
		}
		sv = list[0]
		return sv.State == outreach.SurveyOpen
	})
	if sv.JobID != cases.FollowUpJobID(c.ID, 0) || sv.WorkOrder != c.ID || !sv.SkipFatigue {
		t.Errorf("survey = %+v", sv)
	}
	if got := state(c.ID); got.State != outreach.CaseFollowedUp {
		t.Errorf("after the follow-up: %s", got.State)
	}

	// A 2: reopened and escalated to staff; no case is opened from it.
	h1.reply(resident, "2 还是有异响")
	eventually(t, "the low score escalated", func() bool { return h1.settled() && sms(staff) == 2 })
	if got := state(c.ID); got.State != outreach.CaseReopened || got.Reopened != 1 {
		t.Errorf("after a 2: %s, reopened %d", got.State, got.Reopened)
	}
	if esc := lastSMS(staff); !strings.Contains(esc, c.ID) || !strings.Contains(esc, "回访低分") {
		t.Errorf("reopen escalation %q", esc)
	}

	// Inbound SMS that answer no survey: a case on h1 (on), none on h2
	// (off, the default).
	h2.reply(resident, "车库灯坏了")
	h1.reply(resident, "楼道灯坏了三天了")
	eventually(t, "the inbound case acknowledged", func() bool { return h1.settled() && sms(resident) == 4 })
	list, err := h1.d.Store.Cases(ctx, outreach.CaseFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("cases = %d (%v), want the lift case and one from the inbound SMS", len(list), err)
	}
	for _, other := range list {
		if other.ID != c.ID && (other.Description != "楼道灯坏了三天了" || other.Received != outreach.ReceivedSMS || other.Category != outreach.CaseOther) {
			t.Errorf("inbound case = %+v", other)
		}
	}

	// The whole history over HTTP, with times and who.
	code, raw = call(h2, "GET", "/v1/cases/"+c.ID, "")
	var shown struct {
		Case   outreach.Case        `json:"case"`
		Events []outreach.CaseEvent `json:"events"`
	}
	if err := json.Unmarshal(raw, &shown); err != nil || code != http.StatusOK || shown.Case.State != outreach.CaseReopened {
		t.Fatalf("GET /v1/cases/%s = %d %s", c.ID, code, raw)
	}
	var lines []string
	for _, e := range shown.Events {
		if e.At.IsZero() || e.Actor == "" {
			t.Errorf("history event without time or actor: %+v", e)
		}
		lines = append(lines, e.Actor+" "+string(e.Event)+" "+e.Detail)
	}
	h := strings.Join(lines, "\n")
	for _, want := range []string{
		"api:work-orders opened category lift",
		"system message case_acknowledged: queued to r-lift",
		"system escalated acknowledge limit of 15m0s missed",
		"api:work-orders state open -> acknowledged; 维保已出发",
		"system escalated respond limit of 2h0m0s missed",
		"escalated to the estate's manager",
		"api:work-orders state acknowledged -> resolved",
		"system message case_resolved: queued to r-lift",
		"system state resolved -> followed_up",
		"system message case_follow_up: queued to r-lift",
		"resident reply follow-up score 2 of 5 via sms",
		"system state followed_up -> reopened; low follow-up score 2",
		"system message case_escalation: queued to the estate's staff, 1 people",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("history lacks %q:\n%s", want, h)
		}
	}

	// Both daemons stop; the reopened case's acknowledge limit passes
	// while none runs; a third daemon started later fires it, once.
	if err := h1.stop(); err != nil {
		t.Fatal(err)
	}
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}
	advance(16 * time.Minute)
	h3 := newHarnessWith(t, databaseURL, peer("daemon-3"), sweep)
	h3.start()
	live = h3
	eventually(t, "the reopened case's limit escalated after the restart", func() bool { return h3.settled() && sms(manager) == 2 })
	noMore(h3)
	if got := testutil.ToFloat64(h3.d.Metrics().CaseLimitMisses.WithLabelValues("lift", "acknowledge")); got != 1 {
		t.Errorf("the third daemon counted %v acknowledge misses, want 1", got)
	}
	if got := state(c.ID); got.Misses() != 3 {
		t.Errorf("misses = %d, want 3 (acknowledge and respond, the reopened acknowledge)", got.Misses())
	}
}
