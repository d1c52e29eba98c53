package queue_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

func jobWith(id string, p outreach.Priority) outreach.Job {
	j := testJob(id)
	j.Priority = p
	return j
}

// enqueueBulk puts n bulk jobs on the bulk lane in pipelined batches.
func (e env) enqueueBulk(t testing.TB, prefix string, n int) {
	t.Helper()
	for start := 0; start < n; start += 1000 {
		var jobs []outreach.Job
		for i := start; i < min(start+1000, n); i++ {
			jobs = append(jobs, jobWith(fmt.Sprintf("%s-%d", prefix, i), outreach.PriorityBulk))
		}
		if _, err := e.p.EnqueueBatch(t.Context(), jobs); err != nil {
			t.Fatal(err)
		}
	}
}

func TestProducerRoutesByPriority(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	for _, tt := range []struct {
		p      outreach.Priority
		stream string
	}{
		{outreach.PriorityUrgent, e.keys.Urgent}, {outreach.PriorityNormal, e.keys.Stream},
		{"", e.keys.Stream}, {outreach.PriorityBulk, e.keys.Bulk},
	} {
		id, err := e.p.Enqueue(ctx, jobWith("j-"+string(tt.p), tt.p))
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.rdb.XRange(ctx, tt.stream, id, id).Result()
		if err != nil || len(got) != 1 {
			t.Errorf("priority %q: entry %s not on %s (%v, %v)", tt.p, id, tt.stream, got, err)
		}
	}
	if _, err := e.p.EnqueueBatch(ctx, []outreach.Job{jobWith("b", outreach.PriorityBulk), jobWith("u", outreach.PriorityUrgent)}); err != nil {
		t.Fatal(err)
	}
	for stream, want := range map[string]int64{e.keys.Urgent: 2, e.keys.Stream: 2, e.keys.Bulk: 2} {
		if n, _ := e.rdb.XLen(ctx, stream).Result(); n != want {
			t.Errorf("XLEN %s = %d, want %d", stream, n, want)
		}
	}
}

// TestUrgentIsReadBeforeThousandsOfBulk: with 5000 bulk jobs waiting (and
// some of them already read), an urgent job enqueued afterwards is the very
// next thing Read returns, and so is a normal job before the bulk ones; an
// urgent job XADDed by hand to the main stream also overtakes the bulk lane.
func TestUrgentIsReadBeforeThousandsOfBulk(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Count: 50})
	ctx := t.Context()
	e.enqueueBulk(t, "greeting", 5000)

	first := readN(t, e.c, 50)
	if first[0].Lane != "bulk" || first[0].Stream != e.keys.Bulk {
		t.Fatalf("first read = lane %q stream %q, want the bulk lane", first[0].Lane, first[0].Stream)
	}

	if _, err := e.p.Enqueue(ctx, jobWith("lift-fault", outreach.PriorityUrgent)); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || jobID(t, got[0].Job) != "lift-fault" || got[0].Lane != "urgent" {
		t.Fatalf("read after the urgent job = %d entries starting %+v, want only lift-fault", len(got), got[0])
	}

	// Another service's raw XADD to the main stream, urgent or not, comes
	// before the bulk lane.
	raw := `{"id":"gas-leak","kind":"maintenance_notice","resident_id":"r1","priority":"urgent"}`
	if err := e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.keys.Stream, Values: []any{"job", raw}}).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err = e.c.Read(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || jobID(t, got[0].Job) != "gas-leak" || got[0].Lane != "normal" {
		t.Fatalf("read after the raw XADD = %d entries, want only gas-leak", len(got))
	}

	// With urgent and normal jobs waiting together, urgent ones come first.
	if _, err := e.p.EnqueueBatch(ctx, []outreach.Job{jobWith("n1", outreach.PriorityNormal), jobWith("u1", outreach.PriorityUrgent), jobWith("u2", outreach.PriorityUrgent)}); err != nil {
		t.Fatal(err)
	}
	var order []string
	for range 3 {
		got, err := e.c.Read(ctx)
		if err != nil || len(got) == 0 {
			t.Fatalf("Read = %v, %v", got, err)
		}
		for _, g := range got {
			order = append(order, jobID(t, g.Job))
		}
		if len(order) == 3 {
			break
		}
	}
	if fmt.Sprint(order) != "[u1 u2 n1]" {
		t.Errorf("read order = %v, want [u1 u2 n1]", order)
	}
	if next := readN(t, e.c, 50); next[0].Lane != "bulk" {
		t.Errorf("after the urgent and normal jobs, read lane %q, want bulk again", next[0].Lane)
	}
}

// TestReadWaitsOnEveryLane: a blocking read with every lane empty returns
// an entry that arrives on any lane.
func TestReadWaitsOnEveryLane(t *testing.T) {
	t.Parallel()
	for _, p := range []outreach.Priority{outreach.PriorityUrgent, outreach.PriorityNormal, outreach.PriorityBulk} {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, queue.ConsumerOptions{Block: 10 * time.Second})
			done := make(chan []queue.Entry, 1)
			go func() {
				got, err := e.c.Read(t.Context())
				if err != nil {
					t.Error(err)
				}
				done <- got
			}()
			// Wait until the read is blocked on the server.
			for {
				clients, err := e.rdb.ClientList(t.Context()).Result()
				if err != nil {
					t.Fatal(err)
				}
				if containsAll(clients, "cmd=xreadgroup", "flags=b") {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if _, err := e.p.Enqueue(t.Context(), jobWith("late", p)); err != nil {
				t.Fatal(err)
			}
			got := <-done
			if len(got) != 1 || jobID(t, got[0].Job) != "late" || got[0].Lane != string(p) {
				t.Errorf("blocking read returned %+v, want the %s job", got, p)
			}
		})
	}
}

// containsAll reports whether one line of CLIENT LIST output has every part.
func containsAll(list string, parts ...string) bool {
	for line := range strings.Lines(list) {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestDefaultJobIDIsUniqueAcrossLanes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		e    queue.Entry
		want string
	}{
		{queue.Entry{ID: "1-0"}, "1-0"},
		{queue.Entry{ID: "1-0", Lane: "normal"}, "1-0"},
		{queue.Entry{ID: "1-0", Lane: "urgent"}, "urgent:1-0"},
		{queue.Entry{ID: "1-0", Lane: "bulk"}, "bulk:1-0"},
	} {
		if got := tt.e.DefaultJobID(); got != tt.want {
			t.Errorf("%+v.DefaultJobID() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

// TestSettleEntriesOfEveryLane: AckRefs, Schedule and DeadLetter act on the
// lane the entry came from, and PromoteDue returns a job to its lane.
func TestSettleEntriesOfEveryLane(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Count: 10})
	ctx := t.Context()
	var jobs []outreach.Job
	for _, p := range []outreach.Priority{outreach.PriorityUrgent, outreach.PriorityNormal, outreach.PriorityBulk} {
		for i := range 3 {
			jobs = append(jobs, jobWith(fmt.Sprintf("%s-%d", p, i), p))
		}
	}
	if _, err := e.p.EnqueueBatch(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	got := readN(t, e.c, 9) // urgent-0..2, normal-0..2, bulk-0..2
	byLane := map[string][]queue.Entry{}
	for _, g := range got {
		byLane[g.Lane] = append(byLane[g.Lane], g)
	}
	var refs []queue.Ref
	for _, lane := range queue.LaneNames {
		if len(byLane[lane]) != 3 {
			t.Fatalf("read %d entries of lane %s, want 3", len(byLane[lane]), lane)
		}
		l := byLane[lane]
		refs = append(refs, l[0].Ref())
		if err := e.c.Schedule(ctx, l[1], time.Now().Add(-time.Second), 1); err != nil {
			t.Fatal(err)
		}
		if err := e.c.DeadLetter(ctx, l[2], outreach.ReasonBadJSON, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.c.AckRefs(ctx, refs...); err != nil {
		t.Fatal(err)
	}
	for _, stream := range e.keys.Lanes() {
		if p, err := e.rdb.XPending(ctx, stream, e.keys.Group).Result(); err != nil || p.Count != 0 {
			t.Errorf("%s: pending = %+v, %v; want none", stream, p, err)
		}
	}
	dead, err := e.rdb.XRange(ctx, e.keys.Dead, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var deadStreams []string
	for _, d := range dead {
		deadStreams = append(deadStreams, fmt.Sprint(d.Values[queue.FieldSourceStream]))
	}
	if fmt.Sprint(deadStreams) != fmt.Sprint(e.keys.Lanes()) {
		t.Errorf("dead letters came from %v, want %v", deadStreams, e.keys.Lanes())
	}

	if moved, err := e.c.PromoteDue(ctx, time.Now(), 10); err != nil || moved != 3 {
		t.Fatalf("PromoteDue = %d, %v; want 3", moved, err)
	}
	for _, g := range readN(t, e.c, 3) {
		if want := fmt.Sprintf("%s-1", g.Lane); jobID(t, g.Job) != want || g.Attempt != 1 {
			t.Errorf("promoted %s on lane %s (attempt %d), want %s at attempt 1", jobID(t, g.Job), g.Lane, g.Attempt, want)
		}
	}
}

// TestPromoteMemberWithoutLane: members written before lanes existed
// ("id|attempt|job") still go back to the main stream.
func TestPromoteMemberWithoutLane(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	member := `1-1|2|{"id":"old","kind":"follow_up","resident_id":"r","priority":"urgent"}`
	if err := e.rdb.ZAdd(ctx, e.keys.Delayed, redis.Z{Score: 1, Member: member}).Err(); err != nil {
		t.Fatal(err)
	}
	if moved, err := e.c.PromoteDue(ctx, time.Now(), 10); err != nil || moved != 1 {
		t.Fatalf("PromoteDue = %d, %v; want 1", moved, err)
	}
	got := readN(t, e.c, 1)[0]
	if got.Lane != "normal" || got.Attempt != 2 || jobID(t, got.Job) != "old" {
		t.Errorf("promoted %+v, want job old at attempt 2 on the normal lane", got)
	}
}

// TestClaimTakesUrgentFirst: entries left pending by a dead consumer are
// claimed lane by lane, urgent first, and keep their lane.
func TestClaimTakesUrgentFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "dead", Count: 10})
	ctx := t.Context()
	if _, err := e.p.EnqueueBatch(ctx, []outreach.Job{jobWith("b", outreach.PriorityBulk), jobWith("u", outreach.PriorityUrgent)}); err != nil {
		t.Fatal(err)
	}
	readN(t, e.c, 1) // urgent
	readN(t, e.c, 1) // bulk
	// Both idle long enough before the first Claim: otherwise the urgent
	// entry may be a millisecond short of MinIdle when its lane is looked
	// at, and the bulk one just past it a moment later (the test flaked so).
	time.Sleep(10 * time.Millisecond)
	other := e.consumer(queue.ConsumerOptions{Name: "alive", MinIdle: time.Millisecond})
	var order []string
	for len(order) < 2 {
		got, err := other.Claim(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			order = append(order, g.Lane+":"+jobID(t, g.Job))
			if err := other.AckRefs(ctx, g.Ref()); err != nil { // settled, as the dispatcher would
				t.Fatal(err)
			}
		}
		if len(got) == 0 {
			time.Sleep(5 * time.Millisecond) // MinIdle not reached yet
		}
	}
	if fmt.Sprint(order) != "[urgent:u bulk:b]" {
		t.Errorf("claimed %v, want [urgent:u bulk:b]", order)
	}
}

// TestReadUrgentReadsOnlyTheUrgentLane: with bulk and normal entries
// waiting, ReadUrgent returns nothing until an urgent one comes, then it.
func TestReadUrgentReadsOnlyTheUrgentLane(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Count: 50})
	ctx := t.Context()
	e.enqueueBulk(t, "greeting", 10)
	if _, err := e.p.Enqueue(ctx, jobWith("newsletter", outreach.PriorityNormal)); err != nil {
		t.Fatal(err)
	}
	if got, err := e.c.ReadUrgent(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ReadUrgent with only bulk and normal entries = %d entries, %v; want none", len(got), err)
	}
	if _, err := e.p.Enqueue(ctx, jobWith("lift-fault", outreach.PriorityUrgent)); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.ReadUrgent(ctx)
	if err != nil || len(got) != 1 || jobID(t, got[0].Job) != "lift-fault" || got[0].Lane != "urgent" {
		t.Fatalf("ReadUrgent = %d entries, %v; want lift-fault on the urgent lane", len(got), err)
	}
	if next := readN(t, e.c, 1); next[0].Lane != "normal" {
		t.Errorf("Read after ReadUrgent took lane %q, want the normal entry", next[0].Lane)
	}
}
