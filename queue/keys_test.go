package queue_test

import (
	"slices"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

func TestNewKeys(t *testing.T) {
	t.Parallel()
	derived := func(stream, group string) queue.Keys {
		return queue.Keys{
			Stream: stream, Urgent: stream + ":urgent", Bulk: stream + ":bulk", Group: group,
			Dead: stream + ":dead", Delayed: stream + ":delayed", LockPrefix: stream + ":lock:",
			HeldPrefix: stream + ":held:", HeldIndex: stream + ":held", CapPrefix: stream + ":cap:",
			LeasePrefix: stream + ":lease:", IdempotencyPrefix: stream + ":idem:",
		}
	}
	tests := []struct {
		stream, group string
		want          queue.Keys
	}{
		{"", "", derived("outreach:jobs", "outreach")},
		{"s", "g", derived("s", "g")},
		{"{outreach}:jobs", "", derived("{outreach}:jobs", "outreach")},
	}
	for _, tt := range tests {
		if got := queue.NewKeys(tt.stream, tt.group); got != tt.want {
			t.Errorf("NewKeys(%q, %q) = %+v, want %+v", tt.stream, tt.group, got, tt.want)
		}
	}
	k := queue.NewKeys("", "")
	if k.Urgent != "outreach:jobs:urgent" || k.Bulk != "outreach:jobs:bulk" {
		t.Errorf("lanes = %q, %q; want outreach:jobs:urgent and outreach:jobs:bulk (other services rely on them)", k.Urgent, k.Bulk)
	}
}

func TestKeysLanes(t *testing.T) {
	t.Parallel()
	k := queue.NewKeys("s", "")
	if got := k.Lanes(); !slices.Equal(got, []string{"s:urgent", "s", "s:bulk"}) {
		t.Errorf("Lanes() = %v, want urgent, normal, bulk", got)
	}
	for _, tt := range []struct {
		p      outreach.Priority
		stream string
	}{{outreach.PriorityUrgent, "s:urgent"}, {outreach.PriorityNormal, "s"}, {"", "s"}, {outreach.PriorityBulk, "s:bulk"}} {
		if got := k.Lane(tt.p); got != tt.stream {
			t.Errorf("Lane(%q) = %q, want %q", tt.p, got, tt.stream)
		}
		want := string(tt.p)
		if want == "" {
			want = "normal"
		}
		if got := k.LaneName(tt.stream); got != want {
			t.Errorf("LaneName(%q) = %q, want %q", tt.stream, got, want)
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
		{func() queue.Keys { k := queue.NewKeys("{a}s", ""); k.Dead = "{b}d"; return k }(), false},
		{func() queue.Keys { k := queue.NewKeys("{a}s", ""); k.Bulk = "bulk"; return k }(), false},
		{func() queue.Keys { k := queue.NewKeys("{a}s", ""); k.Dead = "{a}d"; return k }(), true},
	}
	for _, tt := range tests {
		if got := tt.keys.SameSlot(); got != tt.want {
			t.Errorf("%+v.SameSlot() = %v, want %v", tt.keys, got, tt.want)
		}
	}
}
