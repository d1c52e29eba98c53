package bench

import (
	"testing"
	"time"
)

func TestPeak1s(t *testing.T) {
	t.Parallel()
	base := time.Unix(1000, 0)
	s := &twilioStandIn{}
	for _, ms := range []int{0, 100, 999, 1000, 1500, 1600, 1700, 3000} {
		s.times = append(s.times, base.Add(time.Duration(ms)*time.Millisecond))
	}
	// [999, 1700] holds 5 messages within one second; [0, 999] holds 3.
	if got := s.peak1s(); got != 5 {
		t.Errorf("peak1s = %d, want 5", got)
	}
	if got := (&twilioStandIn{}).peak1s(); got != 0 {
		t.Errorf("peak1s of nothing = %d, want 0", got)
	}
}
