package console

import (
	"sync"
	"time"
)

// Sign-in throttling: at most loginFailures failed attempts per account and
// addrFailures per client address within throttleWindow; beyond, sign-ins
// are refused (even with the right password) until the oldest failure
// leaves the window. It is per daemon, in memory: several daemons behind
// a balancer each count their own.
const (
	loginFailures  = 5
	addrFailures   = 20
	throttleWindow = 15 * time.Minute
	// throttleKeys bounds the memory of the counts: beyond it, keys whose
	// failures all left the window are dropped.
	throttleKeys = 10000
)

type throttle struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

func newThrottle() *throttle { return &throttle{fails: map[string][]time.Time{}} }

// wait says how long key must wait before it may try again (0: it may),
// with at most limit failures in the window.
func (t *throttle) wait(key string, limit int, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	fs := recent(t.fails[key], now)
	if len(fs) < limit {
		return 0
	}
	return fs[len(fs)-limit].Add(throttleWindow).Sub(now)
}

// fail counts a failed attempt of key.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) >= throttleKeys {
		for k, fs := range t.fails {
			if len(recent(fs, now)) == 0 {
				delete(t.fails, k)
			}
		}
	}
	t.fails[key] = append(recent(t.fails[key], now), now)
}

// reset forgets key's failures (a successful sign-in of the account).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

// recent is fs without the failures that left the window.
func recent(fs []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= throttleWindow {
		i++
	}
	return fs[i:]
}
