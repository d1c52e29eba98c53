package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/queue/queuetest"
)

// lockedBuffer is a bytes.Buffer a process writes to while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServeStderrWhileRedisIsDown runs `outreach serve` and takes its
// Redis away: every line the process writes to stderr is its JSON log
// (go-redis's own complaints included, as component redis, never a bare
// "redis: ..." line), "outreach daemon running" came once and only after
// it reached Redis, and SIGTERM still stops it with exit 0.
func TestServeStderrWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	proxy := queuetest.NewProxy(t)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"OUTREACH_REDIS_URL=" + proxy.URL,
		"OUTREACH_DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "outreach.db"),
		"OUTREACH_SMTP_URL=smtp://127.0.0.1:1",
		"OUTREACH_EMAIL_FROM=office@example.com",
		"OUTREACH_HTTP_ADDR=" + freePort(t),
		"OUTREACH_STREAM=test:cli:redisdown:" + strings.ToLower(rand.Text()[:10]) + ":jobs",
		"OUTREACH_API_AUTH=off",
		"OUTREACH_LOG_FORMAT=json",
	}
	serve := exec.Command(binary, "serve")
	serve.Env = env
	var stderr lockedBuffer
	serve.Stderr = &stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() { _ = serve.Process.Kill() })
	waitLog := func(what string, cond func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond(stderr.String()) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; stderr:\n%s", what, stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitLog("the running line", func(s string) bool { return strings.Contains(s, "outreach daemon running") })
	proxy.Cut()
	waitLog("go-redis's line and the loops' failures", func(s string) bool {
		return strings.Contains(s, `"msg":"redis: `) && strings.Contains(s, "claim pending entries failed") && strings.Contains(s, "promote due jobs failed")
	})
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve after SIGTERM with Redis down: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop on SIGTERM with Redis down")
	}
	running := 0
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("a stderr line that is not the daemon's JSON log: %q", line)
			continue
		}
		msg, _ := m["msg"].(string)
		if strings.HasPrefix(msg, "redis: ") && m["component"] != "redis" {
			t.Errorf("go-redis's line without component redis: %q", line)
		}
		if msg == "outreach daemon running" {
			running++
		}
	}
	if running != 1 {
		t.Errorf("logged running %d times, want once", running)
	}
}
