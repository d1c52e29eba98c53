package logging

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultThrottle is how often Throttle lets one message through.
const DefaultThrottle = 10 * time.Second

// Throttle returns a logger like l that writes each message (by level and
// text) at most once per every (DefaultThrottle when every <= 0), with
// the attribute repeated counting the lines it held back since the last
// one. It is for the daemon's loops that fail the same way on every tick
// while a dependency is down (reading the stream, claiming, promoting,
// the campaign scheduler): one line per 10 s says Redis is away as well as
// five a second do. Loggers derived from it (With, WithGroup) share its
// count. now is the clock (nil: time.Now).
func Throttle(l *slog.Logger, every time.Duration, now func() time.Time) *slog.Logger {
	return slog.New(&throttleHandler{next: l.Handler(), st: newThrottleState(every, now)})
}

// newThrottleState lets each key through once per every (DefaultThrottle
// when every <= 0) by the clock now (nil: time.Now).
func newThrottleState(every time.Duration, now func() time.Time) *throttleState {
	if every <= 0 {
		every = DefaultThrottle
	}
	if now == nil {
		now = time.Now
	}
	return &throttleState{every: every, now: now, seen: map[throttleKey]*throttleLine{}}
}

type throttleKey struct {
	level slog.Level
	msg   string
}

type throttleLine struct {
	last time.Time
	held int
}

type throttleState struct {
	every time.Duration
	now   func() time.Time
	mu    sync.Mutex
	seen  map[throttleKey]*throttleLine
}

// pass reports whether a record of key may be written now, and how many
// were held back before it.
func (s *throttleState) pass(k throttleKey) (bool, int) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	line, ok := s.seen[k]
	if ok && now.Sub(line.last) < s.every {
		line.held++
		return false, 0
	}
	if !ok {
		if len(s.seen) > 1000 { // messages are constants; a bound all the same
			clear(s.seen)
		}
		line = &throttleLine{}
		s.seen[k] = line
	}
	held := line.held
	line.last, line.held = now, 0
	return true, held
}

type throttleHandler struct {
	next slog.Handler
	st   *throttleState
}

func (h *throttleHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *throttleHandler) Handle(ctx context.Context, r slog.Record) error {
	ok, held := h.st.pass(throttleKey{r.Level, r.Message})
	if !ok {
		return nil
	}
	if held > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", held))
	}
	return h.next.Handle(ctx, r)
}

func (h *throttleHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &throttleHandler{next: h.next.WithAttrs(as), st: h.st}
}

func (h *throttleHandler) WithGroup(name string) slog.Handler {
	return &throttleHandler{next: h.next.WithGroup(name), st: h.st}
}
