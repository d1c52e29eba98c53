package dispatch

import (
	"math/rand/v2"
	"time"
)

// Backoff says how long to wait before attempt number attempt (1 for the
// first retry). hint is the provider's Retry-After, zero when none.
type Backoff func(attempt int, hint time.Duration) time.Duration

// ExponentialBackoff doubles from base up to ceiling, with ±20% jitter so that a
// burst of failures does not come back as a burst. A provider's Retry-After
// wins when it asks for longer.
func ExponentialBackoff(base, ceiling time.Duration) Backoff {
	return func(attempt int, hint time.Duration) time.Duration {
		d := base
		for i := 1; i < attempt && d < ceiling; i++ {
			d *= 2
		}
		d = min(d, ceiling)
		d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
		return max(d, hint)
	}
}
