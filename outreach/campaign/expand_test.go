package campaign

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

var t0 = time.Date(2027, 2, 10, 10, 0, 0, 0, time.UTC)

func greetingSpec(a outreach.Audience) outreach.Campaign {
	return outreach.Campaign{Name: "Spring Festival 2027", Kind: outreach.KindHolidayGreeting,
		Audience: a, Data: map[string]any{"holiday": "Spring Festival"}}
}

// TestExpandReachesTheAudienceOnce: an occurrence becomes exactly one bulk
// job per resident of the audience (building 3 of four), with ids derived
// from campaign, occurrence and resident, and the campaign notes it.
func TestExpandReachesTheAudienceOnce(t *testing.T) {
	t.Parallel()
	for driver, st := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			rdb, keys := testRedis(t)
			seed(t, st, 2000)
			r := newRig(t, st, rdb, keys, "d1", t0)
			c, err := r.svc.Create(t.Context(), greetingSpec(outreach.Audience{Building: "3"}))
			if err != nil {
				t.Fatal(err)
			}
			did, err := r.x.Expand(t.Context(), c.ID)
			if err != nil || !did {
				t.Fatalf("Expand = %v, %v", did, err)
			}
			jobs := r.streamJobs(t)
			if len(jobs) != 500 {
				t.Errorf("jobs for %d residents, want building 3's 500", len(jobs))
			}
			for resident, js := range jobs {
				j := js[0]
				if len(js) != 1 || j.Campaign != c.ID || j.Priority != outreach.PriorityBulk ||
					j.ID != JobID(c.ID, occurrenceKey(t0), resident) || j.Data["holiday"] != "Spring Festival" {
					t.Fatalf("resident %s got %+v, want one bulk job of the campaign", resident, js)
				}
				var n int
				fmt.Sscanf(resident, "r%d", &n)
				if n%4 != 2 {
					t.Fatalf("resident %s is not in building 3", resident)
				}
			}
			if n, _ := rdb.XLen(t.Context(), keys.Bulk).Result(); n != 500 {
				t.Errorf("bulk lane holds %d entries, want 500", n)
			}
			got, _ := st.Campaign(t.Context(), c.ID)
			if got.Targeted != 500 || got.Runs != 1 || got.Occurrence != "" || got.Cursor != "" || got.NextRun != nil ||
				got.State != outreach.CampaignRunning || got.LastRunAt == nil {
				t.Errorf("campaign after expansion = %+v", got)
			}
			if did, err := r.x.Expand(t.Context(), c.ID); err != nil || did {
				t.Errorf("second Expand = %v, %v; want nothing to do", did, err)
			}
		})
	}
}

// TestExpandResumesAfterTheCursor: an expansion interrupted after some
// batches goes on after the last resident noted, and adds nobody twice.
func TestExpandResumesAfterTheCursor(t *testing.T) {
	t.Parallel()
	st := openPostgres(t)
	rdb, keys := testRedis(t)
	seed(t, st, 1200)
	r := newRig(t, st, rdb, keys, "d1", t0)
	c, err := r.svc.Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
	if err != nil {
		t.Fatal(err)
	}
	// A daemon died after its first batch of 500: the cursor is r00499.
	occ := occurrenceKey(*c.NextRun)
	first := make([]outreach.Job, 0, 500)
	for i := range 500 {
		first = append(first, r.x.job(outreach.Campaign{ID: c.ID, Kind: c.Kind, Data: c.Data, Occurrence: occ}, outreach.Resident{ID: fmt.Sprintf("r%05d", i)}))
	}
	first[0].Priority = outreach.PriorityBulk
	for i := range first {
		first[i].Priority = outreach.PriorityBulk
	}
	if _, err := r.x.Producer.EnqueueBatch(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateCampaign(t.Context(), c.ID, func(c *outreach.Campaign) error {
		c.State, c.Occurrence, c.Cursor, c.Targeted = outreach.CampaignRunning, occ, "r00499", 500
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if did, err := r.x.Expand(t.Context(), c.ID); err != nil || !did {
		t.Fatalf("Expand = %v, %v", did, err)
	}
	jobs := r.streamJobs(t)
	if len(jobs) != 1200 {
		t.Errorf("jobs for %d residents, want 1200", len(jobs))
	}
	for resident, js := range jobs {
		if len(js) != 1 {
			t.Fatalf("resident %s got %d jobs", resident, len(js))
		}
	}
	if got, _ := st.Campaign(t.Context(), c.ID); got.Targeted != 1200 {
		t.Errorf("targeted = %d, want 1200", got.Targeted)
	}
}

// TestTwoDaemonsExpandOnce: daemons racing for the same due campaign put
// each resident's job on the stream once.
func TestTwoDaemonsExpandOnce(t *testing.T) {
	t.Parallel()
	st := openPostgres(t)
	rdb, keys := testRedis(t)
	seed(t, st, 3000)
	rigs := []*rig{newRig(t, st, rdb, keys, "d1", t0), newRig(t, st, rdb, keys, "d2", t0), newRig(t, st, rdb, keys, "d3", t0)}
	c, err := rigs[0].svc.Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, r := range rigs {
		wg.Go(func() {
			for range 3 {
				if err := r.sched.Tick(t.Context()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	total := int64(0)
	for _, lane := range keys.Lanes() {
		n, _ := rdb.XLen(t.Context(), lane).Result()
		total += n
	}
	if total != 3000 {
		t.Errorf("%d jobs on the stream, want exactly 3000", total)
	}
	if got, _ := st.Campaign(t.Context(), c.ID); got.Targeted != 3000 || got.Runs != 1 {
		t.Errorf("campaign = targeted %d, runs %d; want 3000, 1", got.Targeted, got.Runs)
	}
}

// pausingStore pauses the campaign once the walk has listed `after`
// residents, as an operator would in the middle of an expansion.
type pausingStore struct {
	outreach.Store
	svc   *Service
	id    string
	after int
	seen  int
}

func (p *pausingStore) ListResidents(ctx context.Context, f outreach.ResidentFilter) ([]outreach.Resident, error) {
	page, err := p.Store.ListResidents(ctx, f)
	if p.seen < p.after && p.seen+len(page) >= p.after {
		if _, err := p.svc.Pause(ctx, p.id); err != nil {
			return nil, err
		}
	}
	p.seen += len(page)
	return page, err
}

// TestPauseStopsTheExpansionAndResumeContinues: a pause in the middle of an
// expansion stops it after the batch in progress; resume finishes it.
func TestPauseStopsTheExpansionAndResumeContinues(t *testing.T) {
	t.Parallel()
	st := openPostgres(t)
	rdb, keys := testRedis(t)
	seed(t, st, 1600)
	r := newRig(t, st, rdb, keys, "d1", t0)
	c, err := r.svc.Create(t.Context(), greetingSpec(outreach.Audience{All: true}))
	if err != nil {
		t.Fatal(err)
	}
	r.x.Store = &pausingStore{Store: st, svc: r.svc, id: c.ID, after: 700} // in the third page: 50, then pages of 500
	if did, err := r.x.Expand(t.Context(), c.ID); err != nil || !did {
		t.Fatalf("Expand = %v, %v", did, err)
	}
	got, _ := st.Campaign(t.Context(), c.ID)
	if got.State != outreach.CampaignPaused || got.Targeted != 1050 || got.Cursor != "r01049" || got.Occurrence == "" {
		t.Fatalf("after the pause: state %s, targeted %d, cursor %q; want paused after three batches", got.State, got.Targeted, got.Cursor)
	}
	if did, _ := r.x.Expand(t.Context(), c.ID); did {
		t.Fatal("a paused campaign was expanded")
	}
	if _, err := r.svc.Resume(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	r.x.Store = st
	if err := r.sched.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Campaign(t.Context(), c.ID)
	if got.Targeted != 1600 || got.Runs != 1 || got.State != outreach.CampaignRunning {
		t.Errorf("after resume: %+v", got)
	}
	if jobs := r.streamJobs(t); len(jobs) != 1600 {
		t.Errorf("jobs for %d residents, want 1600", len(jobs))
	}
}

// TestLocalTimeCampaign: each resident's job waits for 09:00 in the
// resident's own time zone (the default zone for those without one).
func TestLocalTimeCampaign(t *testing.T) {
	t.Parallel()
	st := openPostgres(t)
	rdb, keys := testRedis(t)
	residents := []outreach.Resident{
		{ID: "a", Name: "A", Email: "a@example.com", Building: "3"},
		{ID: "b", Name: "B", Email: "b@example.com", Building: "3", TimeZone: "America/New_York"},
	}
	if _, err := st.UpsertResidents(t.Context(), residents); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, st, rdb, keys, "d1", time.Date(2027, 2, 16, 20, 0, 0, 0, time.UTC))
	spec := greetingSpec(outreach.Audience{Building: "3"})
	spec.Schedule = outreach.Schedule{LocalTime: "09:00", On: "2027-02-17"}
	c, err := r.svc.Create(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.sched.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	jobs := r.streamJobs(t)
	want := map[string]time.Time{
		"a": time.Date(2027, 2, 17, 1, 0, 0, 0, time.UTC),  // 09:00 in Shanghai, the default
		"b": time.Date(2027, 2, 17, 14, 0, 0, 0, time.UTC), // 09:00 in New York, if the store keeps zones
	}
	for id, at := range want {
		js := jobs[id]
		if len(js) != 1 || js[0].SendAt == nil {
			t.Fatalf("resident %s: jobs %+v, want one with send_at", id, js)
		}
		if !js[0].SendAt.Equal(at) {
			t.Errorf("resident %s: send_at %s, want %s", id, js[0].SendAt, at)
		}
	}
	if got, _ := st.Campaign(t.Context(), c.ID); got.Runs != 1 {
		t.Errorf("runs = %d, want 1", got.Runs)
	}
}

// TestRecurringCampaign: each occurrence has its own job ids; after one,
// the next run is the cron expression's next time.
func TestRecurringCampaign(t *testing.T) {
	t.Parallel()
	st := openPostgres(t)
	rdb, keys := testRedis(t)
	seed(t, st, 8)
	shanghai := zone(t, "Asia/Shanghai")
	r := newRig(t, st, rdb, keys, "d1", time.Date(2027, 3, 31, 12, 0, 0, 0, shanghai))
	spec := outreach.Campaign{Name: "Quarterly survey", Kind: outreach.KindSatisfactionCallback,
		Audience: outreach.Audience{All: true}, Data: map[string]any{"service": "property management"},
		Priority: outreach.PriorityNormal, Schedule: outreach.Schedule{Every: "0 9 1 */3 *"}}
	c, err := r.svc.Create(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	q2 := time.Date(2027, 4, 1, 9, 0, 0, 0, shanghai)
	if !c.NextRun.Equal(q2) {
		t.Fatalf("first run %s, want %s", c.NextRun, q2)
	}
	if err := r.sched.Tick(t.Context()); err != nil { // not due yet
		t.Fatal(err)
	}
	if jobs := r.streamJobs(t); len(jobs) != 0 {
		t.Fatalf("%d jobs before the first run", len(jobs))
	}
	for i, due := range []time.Time{q2, time.Date(2027, 7, 1, 9, 0, 0, 0, shanghai)} {
		r.clock.t = due.Add(time.Second)
		if err := r.sched.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Campaign(t.Context(), c.ID)
		if got.Runs != i+1 || got.State != outreach.CampaignScheduled || got.Targeted != int64(8*(i+1)) {
			t.Errorf("after run %d: %+v", i+1, got)
		}
		if want := due.AddDate(0, 3, 0); got.NextRun == nil || !got.NextRun.Equal(want) {
			t.Errorf("after run %d: next run %v, want %s", i+1, got.NextRun, want)
		}
	}
	ids := map[string]bool{}
	for _, js := range r.streamJobs(t) {
		for _, j := range js {
			ids[j.ID] = true
			if j.Priority != outreach.PriorityNormal {
				t.Errorf("job priority %q, want the campaign's normal", j.Priority)
			}
		}
	}
	if len(ids) != 16 {
		t.Errorf("%d distinct job ids over two runs of 8 residents, want 16", len(ids))
	}
}
