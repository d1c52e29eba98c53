package daemon

import (
	"context"
	"time"

	"github.com/outreach-dev/outreach/outreach/archive"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/metrics"
)

// buildRetention registers the archive metrics and, when
// OUTREACH_RETAIN_CONTENT is set, prepares the content retention job.
func (d *Daemon) buildRetention(cfg config.Config, now func() time.Time) {
	m := metrics.NewArchive(d.Registry)
	if cfg.RetainContent <= 0 {
		return
	}
	d.retention = &archive.Retention{
		Store:  d.Store,
		Retain: cfg.RetainContent,
		Purged: func(n int64) { m.Purged.Add(float64(n)) },
		Logger: d.logger.With("component", "retention"),
		Now:    now,
	}
}

// runRetention starts the retention job, if any; the channel closes when
// it has stopped after ctx is done.
func (d *Daemon) runRetention(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if d.retention == nil {
		close(done)
		return done
	}
	go func() { defer close(done); d.retention.Run(ctx) }()
	return done
}
