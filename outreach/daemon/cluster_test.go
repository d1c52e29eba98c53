package daemon_test

import (
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// TestStartRefusesBadRedis: what is wrong with the Redis settings stops the
// daemon at start, with the setting named, rather than a MOVED or CROSSSLOT
// error in the log later.
func TestStartRefusesBadRedis(t *testing.T) {
	t.Parallel()
	clusterURL := queuetest.ClusterURL(t)
	for _, c := range []struct{ name, url, stream, want string }{
		{"no seed answers", "redis://127.0.0.1:1,127.0.0.1:2", "{outreach}:jobs", "OUTREACH_REDIS_URL"},
		{"stream without a hash tag", clusterURL, "test:untagged:jobs", "OUTREACH_STREAM"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{
				"OUTREACH_REDIS_URL":    c.url,
				"OUTREACH_DATABASE_URL": "sqlite://" + t.TempDir() + "/outreach.db",
				"OUTREACH_SMTP_URL":     "smtp://127.0.0.1:1?tls=none",
				"OUTREACH_EMAIL_FROM":   "office@example.com",
				"OUTREACH_HTTP_ADDR":    "127.0.0.1:0",
				"OUTREACH_STREAM":       c.stream,
			}
			cfg, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			_, err = daemon.New(t.Context(), daemon.Options{Config: cfg})
			if err == nil {
				t.Fatal("daemon.New succeeded")
			}
			if !strings.HasPrefix(err.Error(), c.want) && !strings.Contains(err.Error(), "("+c.want+")") {
				t.Errorf("error %q does not name %s", err, c.want)
			}
		})
	}
}
