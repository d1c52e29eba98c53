package archive

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Purger is the part of outreach.Store that retention uses.
type Purger interface {
	PurgeContent(ctx context.Context, before time.Time, batch int) (int64, error)
}

// DefaultBatch is how many deliveries one purge statement empties: small
// enough that a batch holds its locks (PostgreSQL rows, the SQLite write
// lock) for milliseconds, so the recorder barely waits.
const DefaultBatch = 1000

// DefaultEvery is how often the daemon purges.
const DefaultEvery = time.Hour

// Retention empties the rendered content of deliveries older than Retain
// (OUTREACH_RETAIN_CONTENT), keeping their metadata and history. Every
// daemon runs it: the stores make concurrent purges harmless (each
// delivery is purged once), so no daemon has to be elected for it.
type Retention struct {
	Store  Purger
	Retain time.Duration // > 0
	Batch  int           // default DefaultBatch
	Every  time.Duration // default DefaultEvery
	// Purged is called with the number of deliveries each run purged
	// (the outreach_archive_purged_total counter); may be nil.
	Purged func(n int64)
	Logger *slog.Logger     // default: discard
	Now    func() time.Time // default time.Now
}

// Run purges once at once, then every Every, until ctx is done. A failed
// run is logged and tried again at the next tick.
func (r *Retention) Run(ctx context.Context) {
	tick := time.NewTicker(cmp.Or(r.Every, DefaultEvery))
	defer tick.Stop()
	for {
		if _, err := r.PurgeOnce(ctx); err != nil && ctx.Err() == nil {
			r.logger().Error("archive retention: purge failed; trying again at the next tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// PurgeOnce purges what is due now and says how many deliveries it
// purged.
func (r *Retention) PurgeOnce(ctx context.Context) (int64, error) {
	if r.Retain <= 0 {
		return 0, fmt.Errorf("archive retention: period %v, want more than 0", r.Retain)
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	before := now().Add(-r.Retain)
	n, err := r.Store.PurgeContent(ctx, before, cmp.Or(r.Batch, DefaultBatch))
	if n > 0 && r.Purged != nil {
		r.Purged(n) // what was purged before an error counts too
	}
	if err != nil {
		return n, fmt.Errorf("archive retention: %w", err)
	}
	if n > 0 {
		r.logger().Info("archive retention: purged the content of old deliveries", "deliveries", n, "created_before", before.UTC().Format(time.RFC3339))
	}
	return n, nil
}

func (r *Retention) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
