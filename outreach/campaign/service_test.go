package campaign

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

func newService(t *testing.T) *Service {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Service{Store: st, Zone: zone(t, "Asia/Shanghai"), Now: func() time.Time { return t0 }}
}

func TestCreateChecksTheSpec(t *testing.T) {
	t.Parallel()
	s := newService(t)
	at := t0.Add(time.Hour)
	good := greetingSpec(outreach.Audience{Building: "3"})
	tests := []struct {
		name   string
		change func(c *outreach.Campaign)
		err    string
	}{
		{"no name", func(c *outreach.Campaign) { c.Name = "  " }, "no name"},
		{"bad kind", func(c *outreach.Campaign) { c.Kind = "tea_party" }, "unknown kind"},
		{"nobody", func(c *outreach.Campaign) { c.Audience = outreach.Audience{} }, "selects nobody"},
		{"bad channel", func(c *outreach.Campaign) { c.Channels = []outreach.Channel{"fax"} }, "unknown channel"},
		{"bad priority", func(c *outreach.Campaign) { c.Priority = "asap" }, "unknown priority"},
		{"two schedules", func(c *outreach.Campaign) { c.Schedule = outreach.Schedule{At: &at, Every: "@daily"} }, "give one of"},
		{"bad cron", func(c *outreach.Campaign) { c.Schedule.Every = "every day" }, "cron expression"},
		{"bad local time", func(c *outreach.Campaign) { c.Schedule = outreach.Schedule{LocalTime: "9", On: "2027-02-17"} }, "local time"},
		{"date without time", func(c *outreach.Campaign) { c.Schedule = outreach.Schedule{On: "2027-02-17"} }, "go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := good
			tt.change(&spec)
			_, err := s.Create(t.Context(), spec)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Create error = %v, want ErrInvalid mentioning %q", err, tt.err)
			}
		})
	}
	c, err := s.Create(t.Context(), good)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^spring-festival-2027-[0-9a-f]{6}$`).MatchString(c.ID) {
		t.Errorf("id %q, want one derived from the name", c.ID)
	}
	if c.State != outreach.CampaignScheduled || c.NextRun == nil || !c.NextRun.Equal(t0) || !c.CreatedAt.Equal(t0) {
		t.Errorf("new campaign = %+v, want scheduled to run now", c)
	}
	if c.EffectivePriority() != outreach.PriorityBulk {
		t.Errorf("a campaign's jobs default to %s, want bulk", c.EffectivePriority())
	}
	if id := newID("春节问候"); !strings.HasPrefix(id, "campaign-") {
		t.Errorf("newID of a name without ASCII = %q", id)
	}
}

func TestStateChanges(t *testing.T) {
	t.Parallel()
	type op func(*Service, string) (outreach.Campaign, error)
	pause := func(s *Service, id string) (outreach.Campaign, error) { return s.Pause(t.Context(), id) }
	resume := func(s *Service, id string) (outreach.Campaign, error) { return s.Resume(t.Context(), id) }
	cancel := func(s *Service, id string) (outreach.Campaign, error) { return s.Cancel(t.Context(), id) }
	next := t0.Add(time.Hour)
	tests := []struct {
		name     string
		from     outreach.Campaign // state and progress to start from
		op       op
		want     outreach.CampaignState
		wantFail bool
	}{
		{"pause scheduled", outreach.Campaign{State: outreach.CampaignScheduled, NextRun: &next}, pause, outreach.CampaignPaused, false},
		{"pause running", outreach.Campaign{State: outreach.CampaignRunning, Occurrence: "o"}, pause, outreach.CampaignPaused, false},
		{"pause paused", outreach.Campaign{State: outreach.CampaignPaused}, pause, outreach.CampaignPaused, false},
		{"pause done", outreach.Campaign{State: outreach.CampaignDone}, pause, outreach.CampaignDone, true},
		{"resume mid-expansion", outreach.Campaign{State: outreach.CampaignPaused, NextRun: &t0, Occurrence: "o", Cursor: "r9"}, resume, outreach.CampaignRunning, false},
		{"resume while jobs go out", outreach.Campaign{State: outreach.CampaignPaused, Runs: 1}, resume, outreach.CampaignRunning, false},
		{"resume before the next run", outreach.Campaign{State: outreach.CampaignPaused, NextRun: &next}, resume, outreach.CampaignScheduled, false},
		{"resume scheduled", outreach.Campaign{State: outreach.CampaignScheduled, NextRun: &next}, resume, outreach.CampaignScheduled, false},
		{"resume cancelled", outreach.Campaign{State: outreach.CampaignCancelled}, resume, outreach.CampaignCancelled, true},
		{"cancel paused", outreach.Campaign{State: outreach.CampaignPaused, NextRun: &next}, cancel, outreach.CampaignCancelled, false},
		{"cancel cancelled", outreach.Campaign{State: outreach.CampaignCancelled}, cancel, outreach.CampaignCancelled, false},
		{"cancel done", outreach.Campaign{State: outreach.CampaignDone}, cancel, outreach.CampaignDone, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newService(t)
			c, err := s.Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Store.UpdateCampaign(t.Context(), c.ID, func(c *outreach.Campaign) error {
				c.State, c.NextRun, c.Occurrence, c.Cursor, c.Runs = tt.from.State, tt.from.NextRun, tt.from.Occurrence, tt.from.Cursor, tt.from.Runs
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			_, err = tt.op(s, c.ID)
			if tt.wantFail != (err != nil) || (err != nil && !errors.Is(err, ErrState)) {
				t.Fatalf("error = %v, want failure %v (ErrState)", err, tt.wantFail)
			}
			got, _ := s.Store.Campaign(t.Context(), c.ID)
			if got.State != tt.want {
				t.Errorf("state = %s, want %s", got.State, tt.want)
			}
			if got.State == outreach.CampaignCancelled && got.NextRun != nil {
				t.Error("a cancelled campaign keeps a next run")
			}
			if tt.from.Cursor != "" && got.Cursor != tt.from.Cursor {
				t.Errorf("cursor = %q, want %q kept", got.Cursor, tt.from.Cursor)
			}
		})
	}
	s := newService(t)
	if _, err := s.Pause(t.Context(), "nope"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("Pause(unknown) = %v, want ErrNotFound", err)
	}
}

// TestSteerStale: a change asked for on the state a form showed is refused
// (ErrStale, nothing changed) when the campaign has moved on since.
func TestSteerStale(t *testing.T) {
	t.Parallel()
	s := newService(t)
	c, err := s.Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
	if err != nil {
		t.Fatal(err)
	}
	// The form showed it scheduled; the scheduler started it meanwhile.
	if _, err := s.Store.UpdateCampaign(t.Context(), c.ID, func(c *outreach.Campaign) error {
		c.State, c.Occurrence = outreach.CampaignRunning, "o"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Steer(t.Context(), c.ID, OpCancel, outreach.CampaignScheduled); !errors.Is(err, ErrStale) {
		t.Fatalf("Steer on a stale state = %v, want ErrStale", err)
	}
	if got, _ := s.Store.Campaign(t.Context(), c.ID); got.State != outreach.CampaignRunning {
		t.Errorf("after a stale change the campaign is %s, want running (unchanged)", got.State)
	}
	got, err := s.Steer(t.Context(), c.ID, OpPause, outreach.CampaignRunning)
	if err != nil || got.State != outreach.CampaignPaused {
		t.Errorf("Steer on the current state = %v, %v; want paused", got.State, err)
	}
	if _, err := s.Steer(t.Context(), c.ID, "restart", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Steer(restart) = %v, want ErrInvalid", err)
	}
}

// TestCheckStoresNothing: Check finds what Create would refuse and stores
// nothing either way.
func TestCheckStoresNothing(t *testing.T) {
	t.Parallel()
	s := newService(t)
	bad := greetingSpec(outreach.Audience{All: true})
	bad.Schedule.Every = "every day"
	if err := s.Check(bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "cron expression") {
		t.Errorf("Check(bad cron) = %v", err)
	}
	if err := s.Check(greetingSpec(outreach.Audience{All: true})); err != nil {
		t.Errorf("Check(good) = %v", err)
	}
	if cs, _ := s.List(t.Context()); len(cs) != 0 {
		t.Errorf("Check stored %d campaigns", len(cs))
	}
}
