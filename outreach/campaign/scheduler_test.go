package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// TestSchedulerReleasesHeldJobs: jobs held while their campaign is paused
// stay held; once it is resumed (or cancelled) a tick puts them back.
func TestSchedulerReleasesHeldJobs(t *testing.T) {
	t.Parallel()
	st := openPostgres(t)
	rdb, keys := testRedis(t)
	r := newRig(t, st, rdb, keys, "d1", t0)
	c, err := r.svc.Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Pause(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	job := outreach.Job{ID: "j", Kind: outreach.KindHolidayGreeting, ResidentID: "r1", Campaign: c.ID, Priority: outreach.PriorityBulk}
	if _, err := r.x.Producer.Enqueue(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	got, err := r.consumer.Read(t.Context())
	if err != nil || len(got) != 1 {
		t.Fatalf("Read = %v, %v", got, err)
	}
	if err := r.consumer.Hold(t.Context(), got[0], c.ID); err != nil {
		t.Fatal(err)
	}
	delayed := func() int64 {
		n, err := rdb.ZCard(t.Context(), keys.Delayed).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := r.sched.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := delayed(); n != 0 {
		t.Fatalf("a paused campaign's job was released (%d delayed)", n)
	}
	if _, err := r.svc.Resume(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.sched.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := delayed(); n != 1 {
		t.Errorf("after resume: %d delayed, want the held job", n)
	}
	if ids, _ := r.consumer.HeldCampaigns(t.Context()); len(ids) != 0 {
		t.Errorf("held campaigns after release: %v", ids)
	}
}

// TestSchedulerMarksDone: a one-time campaign is done once every job it
// targeted has a final outcome in the archive; deferred ones keep it
// running.
func TestSchedulerMarksDone(t *testing.T) {
	t.Parallel()
	for driver, st := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			rdb, keys := testRedis(t)
			seed(t, st, 3)
			r := newRig(t, st, rdb, keys, "d1", t0)
			c, err := r.svc.Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.sched.Tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			state := func() outreach.CampaignState {
				got, _ := st.Campaign(t.Context(), c.ID)
				return got.State
			}
			if s := state(); s != outreach.CampaignRunning {
				t.Fatalf("after expansion: %s, want running", s)
			}
			record := func(resident string, status outreach.Status) {
				t.Helper()
				id := JobID(c.ID, occurrenceKey(t0), resident)
				if err := st.Record(t.Context(), []outreach.Delivery{{ID: outreach.DeliveryID(id, resident, outreach.ChannelEmail),
					JobID: id, ResidentID: resident, Kind: c.Kind, Channel: outreach.ChannelEmail, Status: status, Campaign: c.ID}}); err != nil {
					t.Fatal(err)
				}
			}
			record("r00000", outreach.StatusSent)
			record("r00001", outreach.StatusSuppressed)
			record("r00002", outreach.StatusDeferred)
			if err := r.sched.Tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			if s := state(); s != outreach.CampaignRunning {
				t.Fatalf("with a deferred delivery: %s, want running", s)
			}
			record("r00002", outreach.StatusSent)
			r.clock.t = r.clock.t.Add(time.Hour)
			if err := r.sched.Tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			if s := state(); s != outreach.CampaignDone {
				t.Errorf("with every outcome final: %s, want done", s)
			}
		})
	}
}

// TestServiceWakesScheduler: a campaign created while the scheduler waits
// for its next tick (an hour away here) is expanded at once, because the
// service wakes the scheduler (the daemon wires Changed to Wake).
func TestServiceWakesScheduler(t *testing.T) {
	t.Parallel()
	st := openPostgres(t)
	seed(t, st, 20)
	rdb, keys := testRedis(t)
	r := newRig(t, st, rdb, keys, "d1", t0)
	r.sched.Every = time.Hour
	r.svc.Changed = r.sched.Wake

	expanded := func(id string) bool {
		c, err := st.Campaign(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Targeted == 20
	}
	wait := func(id string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !expanded(id) {
			if time.Now().After(deadline) {
				t.Fatalf("campaign %s not expanded after a minute: the scheduler was not woken", id)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first, err := (&Service{Store: st, Zone: r.svc.Zone, Now: r.clock.Now}).Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.sched.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	wait(first.ID) // Run's first tick, right away; the next is an hour later

	second, err := r.svc.Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
	if err != nil {
		t.Fatal(err)
	}
	wait(second.ID)
}
