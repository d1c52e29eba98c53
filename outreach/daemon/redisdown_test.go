package daemon_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// logLines parses a JSON log; a line that is not JSON fails the test.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("a log line that is not the daemon's JSON: %q", s)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestRedisDownLogsOnceAndResumes: with Redis gone, the loops that work
// the queue fail on every tick (50-100 ms here) and each logs its failure
// once per FailureLogEvery, go-redis's own complaints come through the
// daemon's JSON log with component redis, and when Redis is back the
// daemon reads and delivers again by itself. Not parallel: go-redis's
// logger is one per process (redis.SetLogger), and another test's daemon
// would take it over.
func TestRedisDownLogsOnceAndResumes(t *testing.T) {
	proxy := queuetest.NewProxy(t)
	buf := &syncBuffer{}
	h := newHarnessWith(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, dc *dispatch.Config) {
		c.RedisURL = outreach.Secret(proxy.URL)
		dc.FailureLogEvery = time.Hour // any number of ticks: one line each
	}, func(o *daemon.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	h.upsert(outreach.Resident{ID: "r-down", Name: "王秀英", Email: "wang@example.com"})
	h.start()
	h.xadd("job", fmt.Sprintf(rfcNotice, "before-cut", "r-down"))
	h.sent("before-cut")
	// Its ack is batched after the archive write: cut before it is
	// flushed, and the entry waits for OUTREACH_CLAIM_IDLE, longer than
	// the test's wait for "settled" at the end.
	eventually(t, "settled before the cut", h.settled)

	proxy.Cut()
	loops := []string{"read from stream failed", "read from the urgent lane failed", "claim pending entries failed", "promote due jobs failed", "read queue stats failed"}
	count := func(msg string) int {
		n := 0
		for _, l := range logLines(t, buf.String()) {
			if l["msg"] == msg {
				n++
			}
		}
		return n
	}
	eventually(t, "every loop's failure logged", func() bool {
		for _, m := range loops {
			if count(m) == 0 {
				return false
			}
		}
		return true
	})
	// The loops tick every 50-100 ms: a second is 10-20 failures each,
	// which must stay one line each.
	time.Sleep(time.Second)
	for _, m := range loops {
		if n := count(m); n != 1 {
			t.Errorf("%q logged %d times while Redis was down, want once", m, n)
		}
	}
	redisLines := 0
	for _, l := range logLines(t, buf.String()) {
		if strings.HasPrefix(fmt.Sprint(l["msg"]), "redis: ") {
			redisLines++
			if l["component"] != "redis" || l["level"] != "WARN" {
				t.Errorf("go-redis's line = %v, want component redis at WARN", l)
			}
		}
	}
	if redisLines > 3 {
		t.Errorf("%d lines of go-redis's own in a second, want them rate-limited", redisLines)
	}

	proxy.Restore()
	h.xadd("job", fmt.Sprintf(rfcNotice, "after-restore", "r-down"))
	h.sent("after-restore")
	eventually(t, "settled", h.settled)
	if count("reading again") == 0 {
		t.Errorf("no line says the daemon reads again:\n%s", buf.String())
	}
}
