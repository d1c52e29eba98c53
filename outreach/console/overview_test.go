package console_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/console"
	"github.com/outreach-dev/outreach/queue"
)

// atEndOfFixtureDay moves the fixture's clock to the last second (UTC) of the day its
// deliveries were made, so that they are today's whenever the test runs.
func atEndOfFixtureDay(t *testing.T, f *fixture) {
	t.Helper()
	ds, err := f.store.Search(t.Context(), outreach.Filter{DeliveryID: "d-n1"})
	if err != nil || len(ds) != 1 {
		t.Fatalf("d-n1: %v %v", ds, err)
	}
	y, m, d := ds[0].CreatedAt.UTC().Date()
	f.clock.Add(time.Date(y, m, d, 23, 59, 59, 0, time.UTC).Sub(f.clock.Now()))
}

var cells = regexp.MustCompile(`\s+`)

// text is a page's body with its tags dropped and spaces folded, to
// look for figures in.
func text(body string) string {
	return strings.TrimSpace(cells.ReplaceAllString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, " "), " "))
}

func TestOverview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	atEndOfFixtureDay(t, f)

	admin, _ := f.sessionFor(t, "admin")
	status, loc, _ := admin.do("GET", "/console/", nil)
	if status != http.StatusSeeOther || loc != "/console/overview" {
		t.Errorf("GET /console/ = %d %q, want 303 to the overview", status, loc)
	}
	status, _, body := admin.do("GET", "/console/overview", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /console/overview = %d", status)
	}
	all := text(body)
	// Today: sms delivered 1 (n1), sent 1 (s1); email failed 1 (n2).
	for _, want := range []string{"Sent today 3", "mailbox full 1", "south 100% 1 / 1", "north 0% under 70% 1 / 1", "North water notice", "South campaign"} {
		if !strings.Contains(all, want) {
			t.Errorf("the admin's overview lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(body, `id="queue"`) {
		t.Error("the overview shows a queue the console does not have")
	}

	north, _ := f.sessionFor(t, "manager-north")
	_, _, body = north.do("GET", "/console/overview", nil)
	mine := text(body)
	for _, want := range []string{"Sent today 2", "mailbox full 1", "north 0%"} {
		if !strings.Contains(mine, want) {
			t.Errorf("the manager of north's overview lacks %q:\n%s", want, mine)
		}
	}
	if strings.Contains(mine, "south") {
		t.Errorf("the manager of north's overview shows south:\n%s", mine)
	}
}

type fakeQueue struct {
	s   queue.Stats
	err error
}

func (q fakeQueue) Stats(context.Context) (queue.Stats, error) { return q.s, q.err }

func TestOverviewQueue(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		q    fakeQueue
		want string
	}{
		{fakeQueue{s: queue.Stats{Lag: 42, Dead: 3, Lanes: [3]queue.LaneStats{{Name: "urgent"}, {Name: "normal", Lag: 40}, {Name: "bulk", Lag: 2}}}}, "Waiting (lag) 42"},
		{fakeQueue{err: errors.New("redis down")}, "The queue did not answer"},
	} {
		f := newFixtureWith(t, func(cfg *console.Config) { cfg.Queue = tt.q })
		admin, _ := f.sessionFor(t, "admin")
		_, _, body := admin.do("GET", "/console/overview", nil)
		if got := text(body); !strings.Contains(got, tt.want) {
			t.Errorf("the overview with %+v lacks %q:\n%s", tt.q, tt.want, got)
		}
		// The queue belongs to no estate: a limited user does not see it.
		north, _ := f.sessionFor(t, "manager-north")
		if _, _, body := north.do("GET", "/console/overview", nil); strings.Contains(body, `id="queue"`) {
			t.Error("the manager of north sees the queue")
		}
	}
}

// fakeDead lists three dead letters; nothing else is called.
type fakeDead struct{}

func (fakeDead) DeadLetter(context.Context, int, string) (queue.DeadEntry, error) {
	return queue.DeadEntry{}, errors.New("not here")
}
func (fakeDead) Requeue(context.Context, int, string) (string, error) {
	return "", errors.New("not here")
}

func (fakeDead) DeadLetters(context.Context, string, int) ([]queue.DeadEntry, error) {
	return []queue.DeadEntry{{Reason: "unknown_estate"}, {Reason: "bad_job"}, {Reason: "unknown_estate"}}, nil
}

func TestOverviewDeadLetters(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, func(cfg *console.Config) { cfg.DeadLetters = fakeDead{} })
	admin, _ := f.sessionFor(t, "admin")
	_, _, body := admin.do("GET", "/console/overview", nil)
	if got := text(body); !strings.Contains(got, "Dead letters by reason 2 unknown_estate 1 bad_job") {
		t.Errorf("the overview lacks the dead letters by reason:\n%s", got)
	}
	north, _ := f.sessionFor(t, "manager-north")
	if _, _, body := north.do("GET", "/console/overview", nil); strings.Contains(body, `id="dead"`) {
		t.Error("the manager of north sees the dead letters")
	}
}
