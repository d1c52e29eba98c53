package daemon_test

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// TestRetention: with OUTREACH_RETAIN_CONTENT set, the daemon purges old
// content as it starts and counts it in outreach_archive_purged_total.
func TestRetention(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite://"+t.TempDir()+"/outreach.db", func(c *config.Config, _ *dispatch.Config) {
		c.RetainContent = 180 * 24 * time.Hour
	})
	old := time.Now().Add(-200 * 24 * time.Hour)
	err := h.d.Store.Record(context.Background(), []outreach.Delivery{
		{ID: "old", JobID: "j-old", ResidentID: "r1", Kind: outreach.KindHolidayGreeting, Status: outreach.StatusSent,
			Subject: "新春快乐", Body: "祝您新春快乐", CreatedAt: old},
		{ID: "new", JobID: "j-new", ResidentID: "r1", Kind: outreach.KindHolidayGreeting, Status: outreach.StatusSent,
			Subject: "中秋快乐", Body: "祝您中秋快乐"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.start()
	eventually(t, "the old delivery's content purged and counted", func() bool {
		return purgedTotal(t, h) == 1
	})
	for _, d := range h.search(outreach.Filter{}) {
		if purged := d.ContentPurgedAt != nil && d.Body == ""; purged != (d.ID == "old") {
			t.Errorf("%s: body %q, purged at %v", d.ID, d.Body, d.ContentPurgedAt)
		}
	}
}

// purgedTotal reads outreach_archive_purged_total from the daemon's registry.
func purgedTotal(t *testing.T, h *harness) float64 {
	t.Helper()
	mfs, err := h.d.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "outreach_archive_purged_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("outreach_archive_purged_total is not registered")
	return 0
}
