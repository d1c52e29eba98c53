package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// residentStats keeps the planner's statistics of the residents table
// fresh after the directory grows. A campaign's expansion reads its
// audience a page at a time, keyset on id (ListResidents); the planner
// picks the plan of that page by the table's statistics, and on a table
// analyzed before an import (or never: a new database) it thinks a tag
// rare and reads every resident with the tag through the tags index,
// then sorts them, for each page of 50 or 1000: an expansion of 20k
// residents read 20k rows a page (24 ms on a quiet machine, 40-88 ms
// under load for the campaign's first page) instead of walking the
// primary key (0.1 ms), and one of N residents reads N²/1000 rows.
// Autovacuum analyzes such a table too, but only on its next round
// (autovacuum_naptime, a minute by default), while a property manager
// starts the campaign right after the import.
//
// So, with autovacuum's own rule (50 rows plus a tenth of the table),
// once that many residents were added since the last ANALYZE this store
// ran, it runs ANALYZE residents in the background: the import does not
// wait for it (50-250 ms on 20k residents, bounded by ANALYZE's sample
// above that), and writes meanwhile are counted for the next one. Only
// added rows count: updates leave the table's size and mostly its
// values as they were, and autovacuum keeps up with them.
type residentStats struct {
	added   atomic.Int64 // residents added since the last ANALYZE began
	rows    atomic.Int64 // the table's size as the last ANALYZE saw it
	running atomic.Bool
	wg      sync.WaitGroup
	// run analyzes the table and returns its size afterwards.
	run func(ctx context.Context) (int64, error)
	// life ends the background ANALYZE (Close).
	life context.Context
	// done, when set, is called after each ANALYZE (tests).
	done func(error)
}

// analyzeThreshold is how many added residents make the statistics stale
// for a table of rows residents (autovacuum_analyze_threshold and
// autovacuum_analyze_scale_factor's defaults).
func analyzeThreshold(rows int64) int64 { return 50 + rows/10 }

// noteAdded counts n added residents and starts an ANALYZE when they make
// the statistics stale and none is running.
func (rs *residentStats) noteAdded(n int) {
	if n <= 0 || rs.run == nil {
		return
	}
	if rs.added.Add(int64(n)) < analyzeThreshold(rs.rows.Load()) {
		return
	}
	if !rs.running.CompareAndSwap(false, true) {
		return // the running one, or the next, sees these rows
	}
	rs.wg.Go(func() {
		defer rs.running.Store(false)
		// Rows added while one runs are the next one's: an import's
		// later batches come while its first ANALYZE runs.
		for rs.life.Err() == nil {
			rs.added.Store(0)
			ctx, cancel := context.WithTimeout(rs.life, time.Minute)
			rows, err := rs.run(ctx)
			cancel()
			if err == nil {
				rs.rows.Store(rows)
			}
			if rs.done != nil {
				rs.done(err)
			}
			if err != nil || rs.added.Load() < analyzeThreshold(rs.rows.Load()) {
				return
			}
		}
	})
}

// wait returns once the background ANALYZE, if any, is over.
func (rs *residentStats) wait() { rs.wg.Wait() }
