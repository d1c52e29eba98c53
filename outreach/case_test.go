package outreach

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCaseMoves(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	c := Case{ID: "C-1", State: CaseOpen}
	for _, to := range []CaseState{CaseAcknowledged, CaseInProgress, CaseResolved, CaseFollowedUp, CaseReopened, CaseResolved, CaseClosed} {
		ev, err := c.Move(to, at, "Li Wei", "")
		if err != nil {
			t.Fatalf("move to %s: %v", to, err)
		}
		if ev.Event != CaseStateChanged || ev.Actor != "Li Wei" || !strings.HasSuffix(ev.Detail, "-> "+string(to)) {
			t.Errorf("event = %+v", ev)
		}
	}
	if c.Reopened != 1 || c.ClosedAt == nil || c.ResolvedAt == nil || c.AcknowledgedAt == nil || c.RespondedAt == nil {
		t.Errorf("after the loop: %+v", c)
	}
	for _, tt := range []struct{ from, to CaseState }{
		{CaseClosed, CaseResolved}, {CaseClosed, CaseClosed}, {CaseOpen, CaseFollowedUp}, {CaseInProgress, CaseAcknowledged}, {CaseResolved, CaseInProgress},
	} {
		c := Case{ID: "C-2", State: tt.from}
		if _, err := c.Move(tt.to, at, "x", ""); !errors.Is(err, ErrTransition) {
			t.Errorf("%s -> %s: %v, want ErrTransition", tt.from, tt.to, err)
		}
		if c.State != tt.from {
			t.Errorf("a refused move changed the state to %s", c.State)
		}
	}
}

func TestCaseCheckNamesFields(t *testing.T) {
	t.Parallel()
	c := Case{Estate: "Bad Estate", Category: "plumbing", Urgency: "asap", Received: "fax", Description: strings.Repeat("x", MaxCaseDescription+1)}
	err := c.Check()
	for _, field := range []string{"estate", "resident_id", "category", "urgency", "received", "description"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("Check() = %v, want it to name %s", err, field)
		}
	}
	ok := Case{Estate: "sunny", Unit: "3-1202", Category: CaseLift, Urgency: UrgencyUrgent, Received: ReceivedPhone, Description: "stuck"}
	if err := ok.Check(); err != nil {
		t.Errorf("Check(valid) = %v", err)
	}
}

func TestCaseLimits(t *testing.T) {
	t.Parallel()
	if got := Limit(CaseLift, UrgencyNormal, StageAcknowledge); got != 15*time.Minute {
		t.Errorf("lift acknowledge = %v, want 15m (the practice)", got)
	}
	if got := Limit(CaseLift, "", StageRespond); got != 2*time.Hour {
		t.Errorf("lift respond = %v", got)
	}
	if got := Limit(CaseLift, UrgencyNormal, StageResolve); got != 48*time.Hour {
		t.Errorf("lift resolve = %v", got)
	}
	if got := Limit(CaseFacility, UrgencyNormal, StageResolve); got != 24*time.Hour {
		t.Errorf("facility resolve = %v", got)
	}
	if got := Limit(CaseNoise, UrgencyNormal, StageAcknowledge); got != 24*time.Hour {
		t.Errorf("noise acknowledge = %v", got)
	}
	if got := Limit(CaseNoise, UrgencyNormal, StageResolve); got != 0 {
		t.Errorf("noise resolve = %v, want none", got)
	}
	if got := Limit(CaseFee, UrgencyNormal, StageFollowUp); got != 24*time.Hour {
		t.Errorf("follow-up delay = %v, want 24h", got)
	}
	estate, err := ParseCaseLimits("lift: acknowledge=10m, resolve=off; lift/urgent: respond=1h; */low: acknowledge=3d")
	if err != nil {
		t.Fatal(err)
	}
	daemon, _ := ParseCaseLimits("*: follow_up=48h")
	for _, tt := range []struct {
		cat   CaseCategory
		urg   CaseUrgency
		stage string
		want  time.Duration
	}{
		{CaseLift, UrgencyNormal, StageAcknowledge, 10 * time.Minute},
		{CaseLift, UrgencyNormal, StageResolve, 0},
		{CaseLift, UrgencyUrgent, StageRespond, time.Hour},
		{CaseLift, UrgencyNormal, StageRespond, 2 * time.Hour},
		{CaseNoise, UrgencyLow, StageAcknowledge, 72 * time.Hour},
		{CaseLift, UrgencyLow, StageAcknowledge, 10 * time.Minute},
		{CaseWater, UrgencyNormal, StageFollowUp, 48 * time.Hour},
	} {
		if got := Limit(tt.cat, tt.urg, tt.stage, estate, daemon); got != tt.want {
			t.Errorf("Limit(%s/%s %s) = %v, want %v", tt.cat, tt.urg, tt.stage, got, tt.want)
		}
	}
	back, err := ParseCaseLimits(estate.String())
	if err != nil || back.String() != estate.String() {
		t.Errorf("round trip %q -> %q, %v", estate.String(), back.String(), err)
	}
	for _, bad := range []string{"lift", "plumbing: resolve=1h", "lift/asap: resolve=1h", "lift: fix=1h", "lift: resolve=soon", "lift: resolve=-1h"} {
		if _, err := ParseCaseLimits(bad); err == nil {
			t.Errorf("ParseCaseLimits(%q) accepted", bad)
		}
	}
	if err := (Estate{ID: "e", Name: "E", CaseLimits: "lift: fix=1h"}).Check(nil, nil); err == nil || !strings.Contains(err.Error(), "case_limits") {
		t.Errorf("Estate.Check = %v, want case_limits named", err)
	}
}
