package dispatch

import (
	"slices"
	"sync"
	"testing"

	"github.com/outreach-dev/outreach/queue"
)

func TestSet(t *testing.T) {
	t.Parallel()
	var s set[queue.Ref]
	a, b := queue.Ref{Stream: "s", ID: "1-0"}, queue.Ref{Stream: "s", ID: "2-0"}
	if s.has(a) || len(s.keys()) != 0 {
		t.Fatal("a new set is not empty")
	}
	s.remove(a) // removing from the empty set is fine
	if !s.addNew(a) {
		t.Fatal("addNew of a missing key = false")
	}
	if s.addNew(a) {
		t.Fatal("addNew of a present key = true")
	}
	s.add(b)
	s.add(b)
	got := s.keys()
	slices.SortFunc(got, func(x, y queue.Ref) int {
		if x.ID < y.ID {
			return -1
		}
		return 1
	})
	if !slices.Equal(got, []queue.Ref{a, b}) {
		t.Fatalf("keys = %v, want %v", got, []queue.Ref{a, b})
	}
	s.remove(a)
	if s.has(a) || !s.has(b) {
		t.Fatalf("after remove(a): has(a) = %v, has(b) = %v", s.has(a), s.has(b))
	}
}

// TestSetConcurrent is for -race: workers add and remove while the
// keepers list the keys.
func TestSetConcurrent(t *testing.T) {
	t.Parallel()
	var s set[queue.JobLock]
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				l := queue.JobLock{JobID: string(rune('a' + w)), Holder: string(rune('0' + i%10))}
				s.add(l)
				_ = s.keys()
				s.remove(l)
			}
		})
	}
	wg.Wait()
	if n := len(s.keys()); n != 0 {
		t.Fatalf("%d keys left, want 0", n)
	}
}

// BenchmarkInFlight is a job's traffic on the dispatcher's sets: its entry
// added when read and removed when done, its lock added and removed.
func BenchmarkInFlight(b *testing.B) {
	var refs set[queue.Ref]
	var locks set[queue.JobLock]
	ref := queue.Ref{Stream: "outreach:jobs:bulk", ID: "1764780000000-17"}
	lock := queue.JobLock{JobID: "bench-06343cc5-j0000017", Holder: "outreach:jobs:bulk/1764780000000-17"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			refs.add(ref)
			locks.add(lock)
			locks.remove(lock)
			refs.remove(ref)
		}
	})
}
