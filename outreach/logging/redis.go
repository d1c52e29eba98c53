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
	// 10 s).
	Every time.Duration
	Now   func() time.Time // default time.Now

	mu   sync.Mutex
	seen map[string]*redisLine
}

type redisLine struct {
	last       time.Time
	suppressed int
}

// Printf implements go-redis's logging interface.
func (l *RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	every := l.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	l.mu.Lock()
	if l.seen == nil {
		l.seen = map[string]*redisLine{}
	}
	line, ok := l.seen[format]
	if ok && now.Sub(line.last) < every {
		line.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := 0
	if ok {
		suppressed = line.suppressed
	} else {
		if len(l.seen) > 1000 { // formats are a fixed set; a bound all the same
			clear(l.seen)
		}
		line = &redisLine{}
		l.seen[format] = line
	}
	line.last, line.suppressed = now, 0
	l.mu.Unlock()

	attrs := []any{"component", "redis"}
	if suppressed > 0 {
		attrs = append(attrs, "repeated", suppressed)
	}
	l.Logger.WarnContext(ctx, fmt.Sprintf(format, v...), attrs...)
}
