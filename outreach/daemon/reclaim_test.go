package daemon_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// TestSlowEntryNotClaimedBack: an entry still being processed after
// OUTREACH_CLAIM_IDLE is kept by the daemon (XCLAIM JUSTID every claim idle
// / 3 resets its idle time without counting a delivery), so no claimer
// takes it while it is in flight, and a long job never counts towards
// OUTREACH_MAX_CLAIMS. (Should a claimer take it anyway, the daemon's own
// skips it: the job lock lets the same entry id through, so both copies
// would send.)
func TestSlowEntryNotClaimedBack(t *testing.T) {
	t.Parallel()
	const claimIdle = 500 * time.Millisecond
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, _ *dispatch.Config) { c.ClaimIdle = claimIdle })
	ctx := context.Background()
	if _, err := h.d.Store.UpsertResidents(ctx, residents); err != nil {
		t.Fatal(err)
	}
	entered, release := h.smtp.Hold("wang@example.com")
	h.start()
	id := h.xadd("job", fmt.Sprintf(notice, "job-slow", "r-email", ""))
	<-entered                 // the send is in flight, and stays so until release
	time.Sleep(3 * claimIdle) // long enough to be claimed back twice, were it not kept
	p, err := h.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: h.keys.Stream, Group: h.keys.Group, Start: id, End: id, Count: 1}).Result()
	if err != nil || len(p) != 1 {
		t.Fatalf("pending entry: %v, %v", p, err)
	}
	if p[0].RetryCount != 1 {
		t.Errorf("the entry in flight was delivered %d times, want 1 (kept, never claimed)", p[0].RetryCount)
	}
	release()
	eventually(t, "the job to be sent and acked", func() bool {
		rec := h.search(outreach.Filter{JobID: "job-slow"})
		return h.settled() && len(rec) == 1 && rec[0].Status == outreach.StatusSent
	})
	if n := len(received(h.smtp, "wang@example.com")); n != 1 {
		t.Errorf("got %d emails, want 1", n)
	}
}

// TestEntryClaimedTooOftenIsDeadLettered: an entry that every daemon
// taking it dies on (read, then claimed again and again, never acked) is
// dead-lettered as claimed_too_often once it has been claimed more than
// OUTREACH_MAX_CLAIMS times, archived as failed, counted, and no longer
// pending; it is not sent. An entry claimed exactly MAX_CLAIMS times is
// still processed.
func TestEntryClaimedTooOftenIsDeadLettered(t *testing.T) {
	t.Parallel()
	const claimIdle = 300 * time.Millisecond
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, _ *dispatch.Config) {
		// Long enough for the daemon to keep the survivor while it is
		// processed (every claim idle / 3): its own claimer must not count
		// claims of it (see TestSlowEntryNotClaimedBack).
		c.ClaimIdle = claimIdle
		c.MaxClaims = 3
	})
	ctx := context.Background()
	if _, err := h.d.Store.UpsertResidents(ctx, residents); err != nil {
		t.Fatal(err)
	}
	if err := h.rdb.XGroupCreateMkStream(ctx, h.keys.Stream, h.keys.Group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	poison := h.xadd("job", fmt.Sprintf(notice, "job-poison", "r-email", ""))
	h.xadd("job", fmt.Sprintf(notice, "job-survivor", "r-sms", ""))
	// A daemon reads both and dies; daemons that claim them die too: the
	// poison entry is claimed 3 times before this daemon starts (its claim
	// is the 4th), the other one twice (this daemon's is the 3rd).
	got, err := h.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: h.keys.Group, Consumer: "crashed-0", Streams: []string{h.keys.Stream, ">"}, Count: 10, Block: time.Second}).Result()
	if err != nil || len(got[0].Messages) != 2 {
		t.Fatalf("crashing consumer read %v, %v", got, err)
	}
	for i := 1; i <= 3; i++ {
		ids := []string{poison}
		if i <= 2 {
			ids = append(ids, got[0].Messages[1].ID)
		}
		time.Sleep(2 * time.Millisecond) // idle, for the crashing consumers' claims
		claimed, err := h.rdb.XClaim(ctx, &redis.XClaimArgs{Stream: h.keys.Stream, Group: h.keys.Group, Consumer: fmt.Sprintf("crashed-%d", i), MinIdle: time.Millisecond, Messages: ids}).Result()
		if err != nil || len(claimed) != len(ids) {
			t.Fatalf("claim %d by a crashing consumer: %v, %v", i, claimed, err)
		}
	}
	h.start()
	eventually(t, "the poison entry dead-lettered and the other one sent (accepted by Twilio)", func() bool {
		sent := h.search(outreach.Filter{JobID: "job-survivor"})
		return len(h.deadReasons()) == 1 && len(sent) == 1 && sent[0].Status.Accepted() && h.settled()
	})
	if got := h.deadReasons(); len(got) != 1 || got[0] != string(outreach.ReasonClaimedTooOften) {
		t.Errorf("dead letters %v, want one %s", got, outreach.ReasonClaimedTooOften)
	}
	dead, err := h.rdb.XRange(ctx, h.keys.Dead, "-", "+").Result()
	if err != nil || len(dead) != 1 || dead[0].Values["source_id"] != poison {
		t.Errorf("dead-letter stream %v, %v; want the poison entry %s", dead, err, poison)
	}
	rec := h.search(outreach.Filter{JobID: "job-poison"})
	if len(rec) != 1 || rec[0].Status != outreach.StatusFailed || !strings.Contains(rec[0].Error, string(outreach.ReasonClaimedTooOften)) {
		t.Errorf("archive of the poison job = %+v, want one failed record naming %s", rec, outreach.ReasonClaimedTooOften)
	}
	if n := testutil.ToFloat64(h.d.Metrics().DeadLetters.WithLabelValues(string(outreach.ReasonClaimedTooOften))); n != 1 {
		t.Errorf("outreach_dead_letters_total{reason=%q} = %v, want 1", outreach.ReasonClaimedTooOften, n)
	}
	if n := len(received(h.smtp, "wang@example.com")); n != 0 {
		t.Errorf("the poison job sent %d emails, want 0", n)
	}
}
