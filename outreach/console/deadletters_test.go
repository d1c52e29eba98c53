package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/console"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// testQueue is a queue of the test's own on the test Redis, deleted when
// the test ends.
func testQueue(t testing.TB) (redis.UniversalClient, queue.Keys) {
	t.Helper()
	rdb := queuetest.Redis(t)
	return rdb, queuetest.Keys(t, rdb, "console", "outreach")
}

// TestDeadLetters: the page lists a dead letter with its reason, the entry
// page says what to fix, and re-queuing puts the job back on its lane once
// (audit log); a job that cannot be read is not re-queued; managers of one
// estate, staff and anonymous visitors get nothing.
func TestDeadLetters(t *testing.T) {
	t.Parallel()
	rdb, keys := testQueue(t)
	f := newFixtureWith(t, func(c *console.Config) { c.DeadLetters = queue.NewProducer(rdb, keys) })
	ctx := t.Context()
	good, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: keys.Dead, Values: []any{"job", `{"id":"wo-7","kind":"maintenance_notice","resident_id":"n9"}`,
		"reason", "unknown_resident", "error", `resident "n9" not found`, "source_id", "1-1", "source_stream", keys.Stream, "consumer", "daemon-1", "failed_at", "2026-12-02T08:00:00Z"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	bad, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: keys.Dead, Values: []any{"job", `{"kind":`, "reason", "bad_json", "error", "unexpected EOF", "source_id", "1-2", "source_stream", keys.Stream}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	c, csrf := f.sessionFor(t, "admin")
	status, _, body := c.do("GET", "/console/deadletters", nil)
	must(t, status == http.StatusOK && strings.Contains(body, "unknown_resident") && strings.Contains(body, "bad_json") &&
		strings.Contains(body, `href="/console/deadletters/0/`+good+`"`), "GET /console/deadletters = %d: %s", status, body)
	status, _, body = c.do("GET", "/console/deadletters/0/"+good, nil)
	must(t, status == http.StatusOK && strings.Contains(body, "import it, then re-queue") && strings.Contains(body, `id="requeue"`) && strings.Contains(body, "wo-7"),
		"the dead letter's page = %d: %s", status, body)
	status, _, body = c.do("GET", "/console/deadletters/0/"+bad, nil)
	must(t, status == http.StatusOK && strings.Contains(body, `id="dead-invalid"`) && !strings.Contains(body, `id="requeue"`), "the bad_json entry's page = %d: %s", status, body)

	// Not for a manager of one estate, staff or an anonymous POST.
	m, mcsrf := f.sessionFor(t, "manager-north")
	if status, _, _ := m.do("POST", "/console/deadletters/0/"+good+"/requeue", url.Values{"csrf": {mcsrf}}); status != http.StatusForbidden {
		t.Errorf("the manager of north re-queues: %d, want 403", status)
	}
	if status, _, _ := c.do("POST", "/console/deadletters/0/"+good+"/requeue", url.Values{}); status != http.StatusForbidden {
		t.Errorf("a re-queue without the CSRF token = %d, want 403", status)
	}

	status, loc, _ := c.do("POST", "/console/deadletters/0/"+good+"/requeue", url.Values{"csrf": {csrf}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/deadletters?requeued=") {
		t.Fatalf("re-queue = %d %q", status, loc)
	}
	back, err := rdb.XRange(ctx, keys.Stream, "-", "+").Result()
	if err != nil || len(back) != 1 || !strings.Contains(back[0].Values["job"].(string), `"id":"wo-7"`) {
		t.Errorf("the stream after the re-queue: %v, %v", back, err)
	}
	if status, _, _ := c.do("POST", "/console/deadletters/0/"+good+"/requeue", url.Values{"csrf": {csrf}}); status != http.StatusNotFound {
		t.Errorf("a second re-queue = %d, want 404 (it is gone)", status)
	}
	if status, _, _ := c.do("POST", "/console/deadletters/0/"+bad+"/requeue", url.Values{"csrf": {csrf}}); status != http.StatusBadRequest {
		t.Errorf("re-queue of bad JSON = %d, want 400", status)
	}
	if n, _ := rdb.XLen(ctx, keys.Stream).Result(); n != 1 {
		t.Errorf("the stream has %d entries, want 1", n)
	}
	log, err := f.store.Audit(ctx, outreach.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "deadletter_requeue" || log[0].Target != "0/"+good || !strings.Contains(log[0].Detail, "unknown_resident") {
		t.Errorf("audit log = %+v", log)
	}
}
