package queue_test

import (
	"hash/crc32"
	"reflect"
	"slices"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

func TestNewKeys(t *testing.T) {
	t.Parallel()
	derived := func(stream, group string) queue.Keys {
		return queue.Keys{
			Name: stream, Stream: stream, Urgent: stream + ":urgent", Bulk: stream + ":bulk", Group: group,
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
		if got := queue.NewKeys(tt.stream, tt.group); !reflect.DeepEqual(got, tt.want) {
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
		{func() queue.Keys { k := queue.NewKeys("{a}s", ""); k.LockPrefix = "lock:"; return k }(), false},
	}
	for _, tt := range tests {
		if got := tt.keys.SameSlot(); got != tt.want {
			t.Errorf("%+v.SameSlot() = %v, want %v", tt.keys, got, tt.want)
		}
	}
}

func TestShardedKeys(t *testing.T) {
	t.Parallel()
	if got := queue.NewShardedKeys("outreach:jobs", "", 1); !reflect.DeepEqual(got, queue.NewKeys("outreach:jobs", "")) {
		t.Errorf("one shard = %+v, want today's names", got)
	}
	for _, tt := range []struct{ stream, want string }{
		{"outreach:jobs", "{outreach:2}:jobs"},
		{"{outreach}:jobs", "{outreach:2}:jobs"},
		{"jobs", "{jobs:2}"},
		{"a:b:c", "{a:2}:b:c"},
		{"jobs:{tenant}:x", "jobs:{tenant:2}:x"},
	} {
		if got := queue.ShardStream(tt.stream, 2); got != tt.want {
			t.Errorf("ShardStream(%q, 2) = %q, want %q", tt.stream, got, tt.want)
		}
	}
	k := queue.NewShardedKeys("", "", 3)
	shards := k.Shards()
	if len(shards) != 3 || !k.SameSlot() {
		t.Fatalf("Shards() = %d, SameSlot %v; want 3 in a slot each", len(shards), k.SameSlot())
	}
	for i, s := range shards {
		p := queue.ShardStream("outreach:jobs", i)
		if s.Stream != p || s.Urgent != p+":urgent" || s.Bulk != p+":bulk" || s.Dead != p+":dead" ||
			s.Delayed != p+":delayed" || s.LockPrefix != p+":lock:" || s.HeldIndex != p+":held" {
			t.Errorf("shard %d = %+v", i, s)
		}
		// Keys used whatever the shard keep the stream's own name.
		if s.Name != "outreach:jobs" || s.CapPrefix != "outreach:jobs:cap:" || s.LeasePrefix != "outreach:jobs:lease:" || s.IdempotencyPrefix != "outreach:jobs:idem:" {
			t.Errorf("shard %d shared keys = %+v", i, s)
		}
		if k.LaneName(s.Urgent) != "urgent" || k.LaneName(s.Bulk) != "bulk" || k.LaneName(s.Stream) != "normal" {
			t.Errorf("LaneName of shard %d's lanes is wrong", i)
		}
	}
	if k.Stream != shards[0].Stream {
		t.Errorf("Stream = %q, want shard 0's", k.Stream)
	}
	for _, id := range []string{"wo-1042", "job-1", "", "x"} {
		want := int(crc32.ChecksumIEEE([]byte(id)) % 3)
		if got := k.ShardOf(id); got != want {
			t.Errorf("ShardOf(%q) = %d, want %d (CRC-32 mod 3)", id, got, want)
		}
		if got := k.Lock(id); got != shards[want].LockPrefix+id {
			t.Errorf("Lock(%q) = %q, want in shard %d", id, got, want)
		}
		if got := k.LaneOf(id, outreach.PriorityUrgent); got != shards[want].Urgent {
			t.Errorf("LaneOf(%q, urgent) = %q, want shard %d's", id, got, want)
		}
	}
}
