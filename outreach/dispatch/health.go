package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Health is what the latest calls to each dependency the daemon cannot
// ping cheaply (an SMTP relay, Twilio, a chat robot; the archive's
// writes) say about it, for /readyz: a dependency whose last
// HealthFailures calls all failed the way an outage fails (refused, timed
// out, 4xx/5xx of the service; not a refusal of one recipient), the
// latest of them within HealthWindow, is down. One call that works makes
// it up again. Without calls for HealthWindow the failures are forgotten:
// an idle daemon has no evidence either way. While a provider is down,
// RunProbes asks it every ProbeEvery whether it is back (an SMTP NOOP,
// Twilio's account resource: see outreach.Prober), so that an idle daemon
// learns of the recovery, and keeps learning of the outage, without sends.
type Health struct {
	Now func() time.Time // default time.Now

	mu   sync.Mutex
	deps map[string]*depHealth
}

type depHealth struct {
	failures int // in a row
	last     time.Time
	err      string
}

// HealthArchive is the name under which archive writes are observed.
const HealthArchive = "archive"

// HealthFailures and HealthWindow: see Health.
const (
	HealthFailures = 3
	HealthWindow   = 60 * time.Second
	// ProbeEvery is how often RunProbes asks a provider that is down.
	ProbeEvery = 5 * time.Second
)

// NewHealth returns a Health that knows no failures.
func NewHealth() *Health { return &Health{deps: map[string]*depHealth{}} }

func (h *Health) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Observe records the outcome of one call to dep (nil err: it worked).
// A nil Health records nothing.
func (h *Health) Observe(dep string, err error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.deps[dep]
	if d == nil {
		d = &depHealth{}
		h.deps[dep] = d
	}
	if err == nil {
		d.failures, d.err = 0, ""
		return
	}
	d.failures++
	d.last, d.err = h.now(), err.Error()
}

// Check is a readiness check of dep: an error while dep is down.
func (h *Health) Check(dep string) func(context.Context) error {
	return func(context.Context) error { return h.down(dep) }
}

func (h *Health) down(dep string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.deps[dep]
	if d == nil || d.failures < HealthFailures || h.now().Sub(d.last) > HealthWindow {
		return nil
	}
	return fmt.Errorf("the last %d calls failed, the latest %s ago: %s", d.failures, h.now().Sub(d.last).Round(time.Second), d.err)
}

// Probe asks each prober whose dependency (the map's key) is down whether
// it is back, each for at most timeout, and records the answer as a call:
// one that works makes the dependency up again. Dependencies that are up
// are left alone; their sends say more than a probe would.
func (h *Health) Probe(ctx context.Context, probers map[string]outreach.Prober, timeout time.Duration) {
	for dep, p := range probers {
		if h.down(dep) == nil {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := p.Probe(pctx)
		cancel()
		if ctx.Err() != nil {
			return // stopping: the probe's failure says nothing of dep
		}
		h.Observe(dep, err)
	}
}

// RunProbes calls Probe every interval until ctx ends.
func (h *Health) RunProbes(ctx context.Context, probers map[string]outreach.Prober, every, timeout time.Duration) {
	if len(probers) == 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.Probe(ctx, probers, timeout)
		}
	}
}

// outage reports whether a send error says the provider is in trouble,
// rather than that this one message cannot go (a permanent refusal) or
// that the daemon is stopping.
func outage(err error) bool {
	switch {
	case err == nil, outreach.IsPermanent(err), errors.Is(err, context.Canceled):
		return false
	}
	return true
}
