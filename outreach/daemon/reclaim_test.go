package daemon_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// TestSlowEntryNotClaimedBack: an entry still being processed when it has
// been pending for OUTREACH_CLAIM_IDLE is claimed back by the daemon's own
// claimer (XAUTOCLAIM takes every idle entry of the group). The daemon must
// not process that copy while the first is in flight: the job lock lets
// the same entry id through, so both would send.
func TestSlowEntryNotClaimedBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, _ *dispatch.Config) { c.ClaimIdle = 200 * time.Millisecond })
	ctx := context.Background()
	if _, err := h.d.Store.UpsertResidents(ctx, residents); err != nil {
		t.Fatal(err)
	}
	entered, release := h.smtp.Hold("wang@example.com")
	h.start()
	id := h.xadd("job", fmt.Sprintf(notice, "job-slow", "r-email", ""))
	<-entered // the send is in flight, and stays so until release
	eventually(t, "the claimer to claim the in-flight entry back, twice", func() bool {
		p, err := h.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: h.keys.Stream, Group: h.keys.Group, Start: id, End: id, Count: 1}).Result()
		return err == nil && len(p) == 1 && p[0].RetryCount >= 3
	})
	release()
	eventually(t, "the job to be sent and acked", func() bool {
		rec := h.search(outreach.Filter{JobID: "job-slow"})
		return h.settled() && len(rec) == 1 && rec[0].Status == outreach.StatusSent
	})
	if n := len(received(h.smtp, "wang@example.com")); n != 1 {
		t.Errorf("got %d emails, want 1", n)
	}
}
