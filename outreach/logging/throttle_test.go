package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestThrottle: a message repeated on every tick is one line per period,
// the next one saying how many were held back; another message, or the
// same text at another level, has a count of its own, and loggers made
// With the throttled one share its count.
func TestThrottle(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	l := Throttle(New(&buf, "json", slog.LevelDebug), 10*time.Second, func() time.Time { return now })
	loop := l.With("component", "dispatch")
	for range 40 {
		loop.Error("claim pending entries failed", "err", "dial tcp 127.0.0.1:6379: connect: connection refused")
		l.Error("claim pending entries failed", "err", "refused")
		now = now.Add(100 * time.Millisecond) // 40 ticks: 4 s
	}
	l.Warn("claim pending entries failed")
	l.Error("promote due jobs failed")
	now = now.Add(7 * time.Second) // 11 s after the first
	loop.Error("claim pending entries failed", "err", "refused")

	var lines []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("not JSON: %q", s)
		}
		lines = append(lines, m)
	}
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4 (claim, its warning, promote, claim again):\n%s", len(lines), buf.String())
	}
	if lines[0]["component"] != "dispatch" || lines[0]["repeated"] != nil {
		t.Errorf("first line = %v", lines[0])
	}
	if lines[1]["level"] != "WARN" || lines[2]["msg"] != "promote due jobs failed" {
		t.Errorf("lines 2 and 3 = %v, %v; want the warning and the other message", lines[1], lines[2])
	}
	if lines[3]["repeated"] != float64(79) {
		t.Errorf("the line after the period = %v, want repeated 79", lines[3])
	}
}
