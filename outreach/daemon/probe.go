package daemon

import (
	"cmp"
	"context"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// buildProbes prepares what runProbes runs: while a provider is down by
// the daemon's latest sends to it, ask it every Options.ProbeEvery
// (dispatch.ProbeEvery) whether it is back, each probe bounded by the send
// timeout, so that /readyz of a daemon with no traffic follows the
// provider. Senders that cannot probe (dev mode's outbox, the chat robots)
// are judged by their sends alone.
func (d *Daemon) buildProbes(senders map[outreach.Channel]outreach.Sender, h *dispatch.Health, opt Options, timeout time.Duration) {
	probers := map[string]outreach.Prober{}
	for ch, s := range senders {
		if p, ok := s.(outreach.Prober); ok {
			probers[string(ch)] = p
		}
	}
	every := cmp.Or(opt.ProbeEvery, dispatch.ProbeEvery)
	d.probe = func(ctx context.Context) { h.RunProbes(ctx, probers, every, timeout) }
}

// runProbes starts the probes; the channel closes when they have stopped
// after ctx is done.
func (d *Daemon) runProbes(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if d.probe == nil {
		close(done)
		return done
	}
	go func() { defer close(done); d.probe(ctx) }()
	return done
}
