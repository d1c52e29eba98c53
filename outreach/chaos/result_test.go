package chaos

import (
	"strings"
	"testing"
	"time"
)

// TestReadinessOfAShortFault: a fault shorter than the time between two
// /readyz samples (a PostgreSQL fast restart of 0.15 s) is "not sampled"
// and misses no target; a longer one without answers is "no answer", a
// miss; answers of 503 throughout are what the target asks.
func TestReadinessOfAShortFault(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	d := &daemon{}
	ft := &fault{name: "PostgreSQL restarted", dependency: "postgres"}
	after := []sample{{at: t0.Add(3 * time.Second), daemon: d, code: 200}}
	for _, tt := range []struct {
		name    string
		fr      *faultRun
		samples []sample
		during  string
		miss    bool
	}{
		{"restart between two samples", &faultRun{f: ft, start: t0, healing: t0.Add(150 * time.Millisecond), end: t0.Add(2 * time.Second)}, after, notSampled, false},
		{"down with nobody answering", &faultRun{f: ft, start: t0, end: t0.Add(2 * time.Second)}, after, "no answer", true},
		{"down, 503 throughout", &faultRun{f: ft, start: t0, end: t0.Add(2 * time.Second)},
			append([]sample{{at: t0.Add(1200 * time.Millisecond), daemon: d, code: 503}, {at: t0.Add(1500 * time.Millisecond), daemon: d, code: 503}}, after...), "503", false},
	} {
		during, afterS := readiness(tt.samples, tt.fr, 10*time.Second)
		if !strings.HasPrefix(during, tt.during) {
			t.Errorf("%s: during = %q, want %s...", tt.name, during, tt.during)
		}
		misses := FaultResult{Fault: ft.name, ReadyDuring: during, ReadyAfterS: afterS}.misses(ft, Options{})
		if got := len(misses) > 0; got != tt.miss {
			t.Errorf("%s: misses %v, want a miss: %v", tt.name, misses, tt.miss)
		}
	}
}
