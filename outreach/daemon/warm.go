package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// warmer is a store or a sender that can open its connections ahead of
// the first job (postgres.Store and email.Sender).
type warmer interface {
	Warm(ctx context.Context) error
}

// warmTimeout bounds the warming of each part.
const warmTimeout = 10 * time.Second

// warmStore readies the archive's connections before the daemon says it
// runs (postgres.Store.Warm: a few backends, with the send path's
// statements prepared): the first job of a campaign started on a daemon
// that just started otherwise waits for new PostgreSQL backends, a
// quarter to a half of its start -> first accepted in `outreach bench
// --campaign`. The database answered the migrations already; a failure
// here is logged, not fatal.
func (d *Daemon) warmStore(ctx context.Context) {
	w, ok := d.Store.(warmer)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, warmTimeout)
	defer cancel()
	if err := w.Warm(ctx); err != nil {
		d.logger.Warn("could not open the archive's connections ahead of the first jobs; they open on first use", "err", err)
	}
}

// warmSenders dials one connection of each sender that can (SMTP) in the
// background, and returns a channel closed when done: a message taken
// meanwhile waits for that connection rather than dialling its own. A
// provider that is down at start is the dispatcher's business (health,
// probes); its failure is logged at debug level only.
func (d *Daemon) warmSenders(ctx context.Context, senders map[outreach.Channel]outreach.Sender) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for ch, s := range senders {
		w, ok := s.(warmer)
		if !ok {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, warmTimeout)
			defer cancel()
			if err := w.Warm(ctx); err != nil {
				d.logger.Debug("could not dial the provider ahead of the first message", "channel", ch, "err", err)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	return done
}
