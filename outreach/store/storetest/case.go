package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func newCase(id, estate string, opened time.Time) outreach.Case {
	return outreach.Case{
		ID: id, Estate: estate, ResidentID: "r-" + id, Building: "3", Unit: "1202",
		Category: outreach.CaseLift, Urgency: outreach.UrgencyUrgent, Description: "电梯困人 / lift stuck between floors",
		Received: outreach.ReceivedPhone, State: outreach.CaseOpen, OpenedBy: "cli", OpenedAt: opened.In(shanghai),
		Timers: []outreach.CaseTimer{
			{Stage: outreach.StageAcknowledge, Due: opened.Add(15 * time.Minute), Limit: 15 * time.Minute},
			{Stage: outreach.StageResolve, Due: opened.Add(48 * time.Hour), Limit: 48 * time.Hour},
		},
	}
}

func mustCreateCase(t *testing.T, s outreach.Store, c outreach.Case) outreach.Case {
	t.Helper()
	got, err := s.CreateCase(t.Context(), c, []outreach.CaseEvent{{Event: outreach.CaseOpened, At: c.OpenedAt, Actor: "Li Wei", Detail: "by phone"}})
	if err != nil {
		t.Fatalf("CreateCase(%s): %v", c.ID, err)
	}
	return got
}

// testCaseRoundTrip: a case comes back as stored (UTC, timers and all);
// a second case with its id or its idempotency key is refused; unknown
// ids and keys are ErrNotFound.
func testCaseRoundTrip(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	c := newCase("C-1", "sunny", base)
	c.IdempotencyKey = "key-1"
	ack := base.Add(5 * time.Minute).In(shanghai)
	c.AcknowledgedAt = &ack
	mustCreateCase(t, s, c)
	got, err := s.Case(t.Context(), "C-1")
	if err != nil {
		t.Fatalf("Case: %v", err)
	}
	want := c
	want.OpenedAt, want.UpdatedAt = stored(base), got.UpdatedAt
	a := stored(ack)
	want.AcknowledgedAt = &a
	want.Timers = []outreach.CaseTimer{
		{Stage: outreach.StageAcknowledge, Due: stored(base.Add(15 * time.Minute)), Limit: 15 * time.Minute},
		{Stage: outreach.StageResolve, Due: stored(base.Add(48 * time.Hour)), Limit: 48 * time.Hour},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Case =\n%+v\nwant\n%+v", got, want)
	}
	if got.UpdatedAt.IsZero() || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("UpdatedAt = %v, want set, UTC", got.UpdatedAt)
	}
	byKey, err := s.CaseByKey(t.Context(), "key-1")
	if err != nil || byKey.ID != "C-1" {
		t.Errorf("CaseByKey = %q, %v", byKey.ID, err)
	}
	if _, err := s.CaseByKey(t.Context(), "nope"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("CaseByKey(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.CaseByKey(t.Context(), ""); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("CaseByKey(\"\") = %v, want ErrNotFound (cases without a key are not one)", err)
	}
	if _, err := s.Case(t.Context(), "C-9"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("Case(unknown) = %v, want ErrNotFound", err)
	}
	dup := newCase("C-1", "other", base)
	if _, err := s.CreateCase(t.Context(), dup, nil); !errors.Is(err, outreach.ErrExists) {
		t.Errorf("CreateCase(same id) = %v, want ErrExists", err)
	}
	sameKey := newCase("C-2", "sunny", base)
	sameKey.IdempotencyKey = "key-1"
	if _, err := s.CreateCase(t.Context(), sameKey, nil); !errors.Is(err, outreach.ErrExists) {
		t.Errorf("CreateCase(same key) = %v, want ErrExists", err)
	}
	if _, err := s.Case(t.Context(), "C-2"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("the refused case was stored: %v", err)
	}
	// Two cases without a key are fine.
	mustCreateCase(t, s, newCase("C-3", "sunny", base))
	mustCreateCase(t, s, newCase("C-4", "sunny", base))
	evs, err := s.CaseEvents(t.Context(), "C-1")
	if err != nil || len(evs) != 1 {
		t.Fatalf("CaseEvents = %+v, %v; want one", evs, err)
	}
	if e := evs[0]; e.Event != outreach.CaseOpened || e.Actor != "Li Wei" || e.Detail != "by phone" || !e.At.Equal(stored(base)) || e.CaseID != "C-1" {
		t.Errorf("event = %+v", e)
	}
}

// testCaseRejects: what the stores refuse, naming the field.
func testCaseRejects(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	bad := map[string]func(c *outreach.Case){
		"no id":          func(c *outreach.Case) { c.ID = "" },
		"no estate":      func(c *outreach.Case) { c.Estate = "" },
		"category":       func(c *outreach.Case) { c.Category = "plumbing" },
		"urgency":        func(c *outreach.Case) { c.Urgency = "asap" },
		"received":       func(c *outreach.Case) { c.Received = "fax" },
		"state":          func(c *outreach.Case) { c.State = "done" },
		"no opened_at":   func(c *outreach.Case) { c.OpenedAt = time.Time{} },
		"nul":            func(c *outreach.Case) { c.Description = "a\x00b" },
		"bad utf-8":      func(c *outreach.Case) { c.Assignee = "\xff" },
		"long":           func(c *outreach.Case) { c.Description = string(make([]byte, outreach.MaxCaseDescription+1)) },
		"timer no stage": func(c *outreach.Case) { c.Timers[0].Stage = "" },
	}
	for name, change := range bad {
		c := newCase("C-bad", "sunny", base)
		change(&c)
		if _, err := s.CreateCase(t.Context(), c, nil); err == nil {
			t.Errorf("%s: CreateCase accepted %+v", name, c)
		}
	}
	if _, err := s.Case(t.Context(), "C-bad"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("a refused case was stored: %v", err)
	}
	c := newCase("C-ok", "sunny", base)
	c.Urgency = ""
	got := mustCreateCase(t, s, c)
	if got.Urgency != outreach.UrgencyNormal {
		t.Errorf("empty urgency stored as %q, want normal", got.Urgency)
	}
	if _, err := s.CreateCase(t.Context(), newCase("C-ev", "sunny", base), []outreach.CaseEvent{{Detail: "no kind"}}); err == nil {
		t.Error("CreateCase accepted an event without a kind")
	}
	if _, err := s.Case(t.Context(), "C-ev"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("a case with a refused event was stored: %v", err)
	}
}

// testCaseUpdate: UpdateCase writes what fn changed and the events it
// returns; fn's error writes nothing; concurrent updates lose nothing.
func testCaseUpdate(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustCreateCase(t, s, newCase("C-1", "sunny", base))
	at := base.Add(10 * time.Minute)
	got, err := s.UpdateCase(t.Context(), "C-1", func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		ev, err := c.Move(outreach.CaseAcknowledged, at, "Li Wei", "")
		c.Assignee = "lift team"
		c.Timer(outreach.StageAcknowledge).MetAt = &at
		c.ID = "changed" // ignored
		return []outreach.CaseEvent{ev, {Event: outreach.CaseAssigned, At: at, Actor: "Li Wei", Detail: "lift team"}}, err
	})
	if err != nil {
		t.Fatalf("UpdateCase: %v", err)
	}
	if got.ID != "C-1" || got.State != outreach.CaseAcknowledged || got.Assignee != "lift team" || got.AcknowledgedAt == nil || !got.AcknowledgedAt.Equal(stored(at)) {
		t.Errorf("updated = %+v", got)
	}
	read, _ := s.Case(t.Context(), "C-1")
	if !reflect.DeepEqual(read, got) {
		t.Errorf("read back\n%+v\nwant\n%+v", read, got)
	}
	if tm := read.Timer(outreach.StageAcknowledge); tm == nil || tm.MetAt == nil || !tm.MetAt.Equal(stored(at)) {
		t.Errorf("acknowledge timer = %+v", tm)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateCase(t.Context(), "C-1", func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		c.Assignee = "nobody"
		return []outreach.CaseEvent{{Event: outreach.CaseNote, Detail: "x"}}, boom
	}); !errors.Is(err, boom) {
		t.Errorf("UpdateCase(fn fails) = %v, want boom", err)
	}
	if _, err := s.UpdateCase(t.Context(), "C-1", func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		_, err := c.Move(outreach.CaseFollowedUp, at, "x", "")
		return nil, err
	}); !errors.Is(err, outreach.ErrTransition) {
		t.Errorf("acknowledged -> followed_up = %v, want ErrTransition", err)
	}
	if _, err := s.UpdateCase(t.Context(), "nope", func(*outreach.Case) ([]outreach.CaseEvent, error) { return nil, nil }); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("UpdateCase(unknown) = %v, want ErrNotFound", err)
	}
	read, _ = s.Case(t.Context(), "C-1")
	if read.Assignee != "lift team" || read.State != outreach.CaseAcknowledged {
		t.Errorf("a failed update changed the case: %+v", read)
	}
	// Concurrent notes: every one lands, with its history.
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := s.UpdateCase(t.Context(), "C-1", func(c *outreach.Case) ([]outreach.CaseEvent, error) {
				c.Reopened++ // a counter no update may lose
				return []outreach.CaseEvent{{Event: outreach.CaseNote, Actor: "staff", Detail: fmt.Sprint("note ", i)}}, nil
			}); err != nil {
				t.Errorf("concurrent UpdateCase: %v", err)
			}
		})
	}
	wg.Wait()
	read, _ = s.Case(t.Context(), "C-1")
	if read.Reopened != n {
		t.Errorf("after %d concurrent updates the counter is %d", n, read.Reopened)
	}
	evs, err := s.CaseEvents(t.Context(), "C-1")
	if err != nil || len(evs) != 1+2+n {
		t.Fatalf("CaseEvents: %d, %v; want %d", len(evs), err, 1+2+n)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Errorf("events out of order: %+v", evs)
		}
	}
	if evs[1].Event != outreach.CaseStateChanged || evs[1].Detail != "open -> acknowledged" || evs[1].Actor != "Li Wei" {
		t.Errorf("state event = %+v", evs[1])
	}
	if err := s.AppendCaseEvents(t.Context(), "C-1", []outreach.CaseEvent{{Event: outreach.CaseMessage, Detail: "sms sent"}}); err != nil {
		t.Fatalf("AppendCaseEvents: %v", err)
	}
	evs, _ = s.CaseEvents(t.Context(), "C-1")
	if last := evs[len(evs)-1]; last.Event != outreach.CaseMessage || last.Actor != outreach.ActorSystem || last.At.IsZero() {
		t.Errorf("appended = %+v, want a message by the system, timed", last)
	}
	if err := s.AppendCaseEvents(t.Context(), "nope", []outreach.CaseEvent{{Event: outreach.CaseNote}}); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("AppendCaseEvents(unknown) = %v, want ErrNotFound", err)
	}
}

// testCasesFilter: every filter, newest first, the limit.
func testCasesFilter(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	for i, e := range []string{"sunny", "sunny", "park", "sunny"} {
		c := newCase(fmt.Sprint("C-", i), e, base.Add(time.Duration(i)*time.Hour))
		if i == 1 {
			c.Category, c.State, c.Assignee = outreach.CaseWater, outreach.CaseResolved, "plumbers"
		}
		if i == 3 {
			c.Timers[0].FiredAt, c.Timers[0].Level = &c.OpenedAt, "staff" // a missed limit
		}
		mustCreateCase(t, s, c)
	}
	ids := func(f outreach.CaseFilter) []string {
		t.Helper()
		list, err := s.Cases(t.Context(), f)
		if err != nil {
			t.Fatalf("Cases(%+v): %v", f, err)
		}
		var out []string
		for _, c := range list {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tt := range []struct {
		f    outreach.CaseFilter
		want []string
	}{
		{outreach.CaseFilter{}, []string{"C-3", "C-2", "C-1", "C-0"}},
		{outreach.CaseFilter{Limit: 2}, []string{"C-3", "C-2"}},
		{outreach.CaseFilter{Estates: []string{"park"}}, []string{"C-2"}},
		{outreach.CaseFilter{Estates: []string{"park", "sunny"}, Category: outreach.CaseWater}, []string{"C-1"}},
		{outreach.CaseFilter{States: []outreach.CaseState{outreach.CaseOpen}}, []string{"C-3", "C-2", "C-0"}},
		{outreach.CaseFilter{States: []outreach.CaseState{outreach.CaseResolved, outreach.CaseClosed}}, []string{"C-1"}},
		{outreach.CaseFilter{ResidentID: "r-C-2"}, []string{"C-2"}},
		{outreach.CaseFilter{Assignee: "plumbers"}, []string{"C-1"}},
		{outreach.CaseFilter{Overdue: true}, []string{"C-3"}},
		{outreach.CaseFilter{OpenedSince: base.Add(time.Hour), OpenedUntil: base.Add(3 * time.Hour)}, []string{"C-2", "C-1"}},
	} {
		if got := ids(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("Cases(%+v) = %v, want %v", tt.f, got, tt.want)
		}
	}
	counts, err := s.CaseCounts(t.Context())
	if err != nil {
		t.Fatalf("CaseCounts: %v", err)
	}
	want := map[string]map[outreach.CaseState]int{"sunny": {outreach.CaseOpen: 2, outreach.CaseResolved: 1}, "park": {outreach.CaseOpen: 1}}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("CaseCounts = %v, want %v", counts, want)
	}
}

// testDueCases: only cases with a pending timer due by now, earliest
// first; a fired or met timer is not due; once every timer is done the
// case is not due again.
func testDueCases(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustCreateCase(t, s, newCase("C-late", "sunny", base))                     // ack due base+15m
	mustCreateCase(t, s, newCase("C-later", "sunny", base.Add(5*time.Minute))) // ack due base+20m
	none := newCase("C-none", "sunny", base)
	none.Timers = nil
	mustCreateCase(t, s, none)
	due := func(now time.Time, limit int) []string {
		t.Helper()
		list, err := s.DueCases(t.Context(), now, limit)
		if err != nil {
			t.Fatalf("DueCases: %v", err)
		}
		var out []string
		for _, c := range list {
			out = append(out, c.ID)
		}
		return out
	}
	if got := due(base.Add(14*time.Minute), 10); len(got) != 0 {
		t.Errorf("due before any limit: %v", got)
	}
	if got := due(base.Add(15*time.Minute), 10); !slices.Equal(got, []string{"C-late"}) {
		t.Errorf("due at the first limit: %v", got)
	}
	if got := due(base.Add(time.Hour), 1); !slices.Equal(got, []string{"C-late"}) {
		t.Errorf("due with limit 1: %v", got)
	}
	fired := base.Add(16 * time.Minute)
	if _, err := s.UpdateCase(t.Context(), "C-late", func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		c.Timer(outreach.StageAcknowledge).FiredAt = &fired
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := due(base.Add(time.Hour), 10); !slices.Equal(got, []string{"C-later"}) {
		t.Errorf("after the first fired: %v", got)
	}
	if got := due(base.Add(49*time.Hour), 10); !slices.Equal(got, []string{"C-later", "C-late"}) {
		t.Errorf("at the resolve limits: %v", got)
	}
	if _, err := s.UpdateCase(t.Context(), "C-late", func(c *outreach.Case) ([]outreach.CaseEvent, error) {
		c.Timer(outreach.StageResolve).MetAt = &fired
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := due(base.Add(100*time.Hour), 10); !slices.Equal(got, []string{"C-later"}) {
		t.Errorf("with C-late's timers done: %v", got)
	}
}
