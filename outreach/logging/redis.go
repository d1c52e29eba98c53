package logging

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// RedisLogger carries go-redis's own log lines (redis.SetLogger) into the
// daemon's log: JSON or text like every other line, masked like them, and
// rate-limited. While Redis is down go-redis writes "failed to dial" once
// per connection attempt of every pool, dozens a second; each distinct
// message format is logged at most once per Every, with the number of
// repeats it held back.
type RedisLogger struct {
	Logger *slog.Logger
	// Every is the least time between two lines of one format (default
	// 10 s, DefaultThrottle).
	Every time.Duration
	Now   func() time.Time // default time.Now

	once sync.Once
	st   *throttleState // by format, as Throttle's by message
}

// Printf implements go-redis's logging interface.
func (l *RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.once.Do(func() { l.st = newThrottleState(l.Every, l.Now) })
	ok, held := l.st.pass(throttleKey{slog.LevelWarn, format})
	if !ok {
		return
	}
	attrs := []any{"component", "redis"}
	if held > 0 {
		attrs = append(attrs, "repeated", held)
	}
	l.Logger.WarnContext(ctx, fmt.Sprintf(format, v...), attrs...)
}
