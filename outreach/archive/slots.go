package archive

import (
	"strconv"
	"time"
)

// MaxConcurrentExports is how many exports over HTTP one daemon streams at
// once (the API's and the console's together): each walks the archive
// from its start and holds a connection of the store for as long as the
// client reads, so a few clients asking again and again could otherwise
// take every connection the dispatcher needs to record deliveries.
const MaxConcurrentExports = 2

// ExportRetryAfter is what a refused export's Retry-After says.
const ExportRetryAfter = 10 * time.Second

// Slots bounds the exports running at once. The zero value is not
// usable; make one with NewSlots. A nil *Slots bounds nothing.
type Slots struct{ ch chan struct{} }

// NewSlots returns a bound of n exports at once (MaxConcurrentExports for
// n <= 0).
func NewSlots(n int) *Slots {
	if n <= 0 {
		n = MaxConcurrentExports
	}
	return &Slots{ch: make(chan struct{}, n)}
}

// TryAcquire takes a slot without waiting: ok is false when every slot is
// taken; otherwise release gives it back (call it once).
func (s *Slots) TryAcquire() (release func(), ok bool) {
	if s == nil {
		return func() {}, true
	}
	select {
	case s.ch <- struct{}{}:
		return func() { <-s.ch }, true
	default:
		return nil, false
	}
}

// RetryAfter is the Retry-After header value of a refused export.
func RetryAfter() string { return strconv.Itoa(int(ExportRetryAfter / time.Second)) }
