package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestRedisLogger: go-redis's lines become JSON log lines; a flood of one
// message is one line per period, the next saying how many were held back.
func TestRedisLogger(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	l := &RedisLogger{Logger: New(&buf, "json", slog.LevelInfo), Now: func() time.Time { return now }}
	ctx := context.Background()
	for range 50 {
		l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 5, "dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	l.Printf(ctx, "redis: discarding bad PubSub connection: %v", "EOF")
	now = now.Add(11 * time.Second)
	l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 5, "refused")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (one per message per period):\n%s", len(lines), buf.String())
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &last); err != nil {
		t.Fatalf("not JSON: %q", lines[2])
	}
	if last["component"] != "redis" || last["repeated"] != float64(49) || last["level"] != "WARN" {
		t.Errorf("the line after the period = %v, want component redis, repeated 49", last)
	}
}
