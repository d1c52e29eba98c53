package queue_test

import (
	"testing"

	"github.com/outreach-dev/outreach/queue"
)

func TestNewKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stream, group string
		want          queue.Keys
	}{
		{"", "", queue.Keys{Stream: "outreach:jobs", Group: "outreach", Dead: "outreach:jobs:dead", Delayed: "outreach:jobs:delayed", LockPrefix: "outreach:jobs:lock:"}},
		{"s", "g", queue.Keys{Stream: "s", Group: "g", Dead: "s:dead", Delayed: "s:delayed", LockPrefix: "s:lock:"}},
		{"{outreach}:jobs", "", queue.Keys{Stream: "{outreach}:jobs", Group: "outreach", Dead: "{outreach}:jobs:dead", Delayed: "{outreach}:jobs:delayed", LockPrefix: "{outreach}:jobs:lock:"}},
	}
	for _, tt := range tests {
		if got := queue.NewKeys(tt.stream, tt.group); got != tt.want {
			t.Errorf("NewKeys(%q, %q) = %+v, want %+v", tt.stream, tt.group, got, tt.want)
		}
	}
}

func TestKeysSameSlot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		keys queue.Keys
		want bool
	}{
		{queue.NewKeys("", ""), false},
		{queue.NewKeys("{outreach}:jobs", ""), true},
		{queue.NewKeys("jobs:{tenant-1}", ""), true},
		{queue.NewKeys("{}:jobs", ""), false}, // an empty tag hashes the whole key
		{queue.NewKeys("{outreach:jobs", ""), false},
		{queue.NewKeys("x}{a}", ""), true},
		{queue.Keys{Stream: "{a}s", Dead: "{b}d", Delayed: "{a}z"}, false},
		{queue.Keys{Stream: "{a}s", Dead: "{a}d", Delayed: "{a}z"}, true},
	}
	for _, tt := range tests {
		if got := tt.keys.SameSlot(); got != tt.want {
			t.Errorf("%+v.SameSlot() = %v, want %v", tt.keys, got, tt.want)
		}
	}
}
