package archive_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/archive"
)

// TestRetentionPurgesOldContent: content older than the period goes,
// the rest stays, and the counter learns how many.
func TestRetentionPurgesOldContent(t *testing.T) {
	t.Parallel()
	st := openStore(t) // d1, d2 at base; d3 two days later
	var purged atomic.Int64
	r := &archive.Retention{
		Store: st, Retain: 24 * time.Hour, Batch: 1,
		Purged: func(n int64) { purged.Add(n) },
		Now:    func() time.Time { return base.Add(47 * time.Hour) },
	}
	n, err := r.PurgeOnce(t.Context())
	if err != nil || n != 2 || purged.Load() != 2 {
		t.Fatalf("PurgeOnce = %d, %v (counted %d); want 2", n, err, purged.Load())
	}
	ds, err := st.Search(t.Context(), outreach.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		gone := d.Body == "" && d.Subject == "" && d.ContentPurgedAt != nil
		if want := d.ID != "d3"; gone != want {
			t.Errorf("%s: purged %v, want %v (body %q)", d.ID, gone, want, d.Body)
		}
		if d.ID == "d2" && (d.Note == "" || d.Error == "" || d.Building != "3") {
			t.Errorf("d2 lost its metadata: %+v", d)
		}
	}
	if n, err := r.PurgeOnce(t.Context()); err != nil || n != 0 {
		t.Errorf("second PurgeOnce = %d, %v; want 0", n, err)
	}
	if _, err := (&archive.Retention{Store: st}).PurgeOnce(t.Context()); err == nil {
		t.Error("PurgeOnce with no period succeeded")
	}
}

// TestRetentionRunsAtStart: Run purges once at once, before its first
// tick, and returns when its context ends.
func TestRetentionRunsAtStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	counted := make(chan int64, 1)
	r := &archive.Retention{
		Store: openStore(t), Retain: time.Hour, Every: 24 * time.Hour,
		Purged: func(n int64) { counted <- n },
		Now:    func() time.Time { return base.Add(72 * time.Hour) },
	}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	if n := <-counted; n != 3 {
		t.Errorf("the first run purged %d, want all 3", n)
	}
	cancel()
	<-done
}
