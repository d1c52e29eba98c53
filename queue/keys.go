package queue

import (
	"context"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// Default names used when NewKeys is given empty ones.
const (
	DefaultStream = "outreach:jobs"
	DefaultGroup  = "outreach"
)

// Keys are every Redis name the queue uses, built in one place.
//
// Jobs travel in three lanes, one stream each, read in strict priority
// order (see Consumer.Read): Urgent, then Stream, then Bulk. Stream is the
// contract with other services (`XADD outreach:jobs * job <JSON>`) and
// carries normal jobs; a Producer puts urgent and bulk jobs in their own
// lanes, so a campaign of 50 000 greetings never stands in front of a lift
// fault notice.
//
// With several shards (NewShardedKeys) each shard has lanes, a dead-letter
// stream, a delayed set, held sets and locks of its own, under a hash tag of
// its own; the fields are then shard 0's, Shards lists them all, and the
// Consumer and Producer work on all of them.
type Keys struct {
	// Name is the stream name as configured (OUTREACH_STREAM), the same in
	// every shard: it labels metrics. Without shards it is Stream.
	Name    string
	Stream  string // the normal lane: the job stream other services XADD to
	Urgent  string // the urgent lane, read before everything else
	Bulk    string // the bulk lane (campaigns), read when the others are empty
	Group   string // the consumer group (a name inside each lane, not a key)
	Dead    string // the dead-letter stream
	Delayed string // the sorted set of jobs waiting for their time (retries, send_at, quiet hours)
	// LockPrefix starts the keys that mark a job id as being processed
	// (see Consumer.Lock); the job id follows it.
	LockPrefix string
	// HeldPrefix starts the sorted sets of the jobs of paused campaigns
	// (the campaign id follows it); HeldIndex is the set of campaign ids
	// that have held jobs.
	HeldPrefix string
	HeldIndex  string
	// CapPrefix starts the per-resident sorted sets of bulk messages sent
	// recently (the frequency cap); the resident id follows it.
	CapPrefix string
	// LeasePrefix starts the keys of leases (see Consumer.Lease).
	LeasePrefix string
	// IdempotencyPrefix starts the keys that remember a job id enqueued
	// over HTTP with its body (see Producer.EnqueueOnce).
	IdempotencyPrefix string

	shards []Keys // every shard's keys when there are more than one
}

// Lock is the key that marks jobID as being processed: in the shard of the
// job id (ShardOf), whichever shard's lane the entry came from, so that two
// copies of one job in two shards take the same lock.
func (k Keys) Lock(jobID string) string { return k.Shards()[k.ShardOf(jobID)].LockPrefix + jobID }

// Shards are the keys of every shard, shard i at index i; one (k itself)
// without sharding.
func (k Keys) Shards() []Keys {
	if len(k.shards) == 0 {
		return []Keys{k}
	}
	return k.shards
}

// ShardOf is the shard of a job id: CRC-32 (IEEE) of the id modulo the
// number of shards, so a producer in any language can compute it. A job
// id always maps to the same shard, so the copies of a job meet in one
// place.
func (k Keys) ShardOf(jobID string) int {
	if len(k.shards) <= 1 {
		return 0
	}
	return int(crc32.ChecksumIEEE([]byte(jobID)) % uint32(len(k.shards)))
}

// LaneOf is the lane of priority p in the shard of jobID: where a Producer
// puts the job.
func (k Keys) LaneOf(jobID string, p outreach.Priority) string {
	return k.Shards()[k.ShardOf(jobID)].Lane(p)
}

// Held is the sorted set of the held jobs of a campaign.
func (k Keys) Held(campaignID string) string { return k.HeldPrefix + campaignID }

// Cap is the sorted set of the bulk messages recently sent to a resident.
func (k Keys) Cap(residentID string) string { return k.CapPrefix + residentID }

// Idempotency is the key that remembers the job id enqueued once.
func (k Keys) Idempotency(jobID string) string { return k.IdempotencyPrefix + jobID }

// Lease is the key of the lease called name.
func (k Keys) Lease(name string) string { return k.LeasePrefix + name }

// Lanes are the lanes' streams in the order they are read.
func (k Keys) Lanes() []string { return []string{k.Urgent, k.Stream, k.Bulk} }

// Lane is the stream that jobs of priority p travel in.
func (k Keys) Lane(p outreach.Priority) string {
	switch p {
	case outreach.PriorityUrgent:
		return k.Urgent
	case outreach.PriorityBulk:
		return k.Bulk
	}
	return k.Stream
}

// LaneName names the lane of stream (of any shard) for logs and metrics:
// "urgent", "normal" or "bulk" ("normal" for a stream that is no lane).
func (k Keys) LaneName(stream string) string {
	for _, s := range k.Shards() {
		switch stream {
		case s.Urgent:
			return string(outreach.PriorityUrgent)
		case s.Bulk:
			return string(outreach.PriorityBulk)
		}
	}
	return string(outreach.PriorityNormal)
}

// LaneNames are the lanes' names in the order they are read.
var LaneNames = []string{string(outreach.PriorityUrgent), string(outreach.PriorityNormal), string(outreach.PriorityBulk)}

// NewKeys derives the keys from a stream and a group name; empty names take
// DefaultStream and DefaultGroup. Every other key is the stream's name plus
// a suffix (":urgent", ":bulk", ":dead", ":delayed", ":lock:", ":held", ...),
// so a stream with a hash tag ("{outreach}:jobs") puts every key in one
// Redis Cluster slot.
func NewKeys(stream, group string) Keys {
	if stream == "" {
		stream = DefaultStream
	}
	if group == "" {
		group = DefaultGroup
	}
	return Keys{
		Name:    stream,
		Stream:  stream,
		Urgent:  stream + ":urgent",
		Bulk:    stream + ":bulk",
		Group:   group,
		Dead:    stream + ":dead",
		Delayed: stream + ":delayed",
		// Lock, cap and lease keys carry the stream's hash tag too; cap
		// and lease keys are only ever used alone, the locks of a batch
		// are taken in one call (Consumer.LockMany), so in one slot.
		LockPrefix:  stream + ":lock:",
		HeldPrefix:  stream + ":held:",
		HeldIndex:   stream + ":held",
		CapPrefix:   stream + ":cap:",
		LeasePrefix: stream + ":lease:",

		IdempotencyPrefix: stream + ":idem:",
	}
}

// NewShardedKeys is NewKeys with the queue split into shards (OUTREACH_SHARDS)
// so that it spans the masters of a Redis Cluster. One shard (n <= 1) is
// NewKeys exactly: today's names. With more, shard i's keys are those of
// the stream ShardStream(stream, i), e.g. "{outreach:0}:jobs",
// "{outreach:0}:jobs:urgent", "{outreach:0}:jobs:delayed", ... for the
// default stream; the keys used whatever the shard (frequency caps, leases,
// idempotency records) keep the stream's own name ("outreach:jobs:cap:..."),
// single keys that spread over the cluster by themselves.
func NewShardedKeys(stream, group string, n int) Keys {
	k := NewKeys(stream, group)
	if n <= 1 {
		return k
	}
	k.shards = make([]Keys, n)
	for i := range k.shards {
		s := NewKeys(ShardStream(k.Name, i), k.Group)
		s.Name = k.Name
		s.CapPrefix, s.LeasePrefix, s.IdempotencyPrefix = k.CapPrefix, k.LeasePrefix, k.IdempotencyPrefix
		k.shards[i] = s
	}
	shards := k.shards
	k = shards[0]
	k.shards = shards
	return k
}

// ShardStream is the normal lane of shard i of stream: the stream with the
// shard number in its hash tag. A tag in the name gets ":i" ("{outreach}:jobs"
// -> "{outreach:0}:jobs"); a name without one gets its first part as the tag
// ("outreach:jobs" -> "{outreach:0}:jobs", "jobs" -> "{jobs:0}").
func ShardStream(stream string, i int) string {
	n := strconv.Itoa(i)
	if start := strings.IndexByte(stream, '{'); start >= 0 {
		if end := strings.IndexByte(stream[start+1:], '}'); end > 0 {
			end += start + 1
			return stream[:end] + ":" + n + stream[end:]
		}
	}
	head, tail, ok := strings.Cut(stream, ":")
	if !ok {
		return "{" + stream + ":" + n + "}"
	}
	return "{" + head + ":" + n + "}:" + tail
}

// SameSlot reports whether the lanes, Dead, Delayed, the held sets and the
// job locks hash to the same Redis Cluster slot because they share one
// hash tag (the part between the first "{" and the next "}"), which the
// multi-key MULTI/EXEC
// and Lua calls need in a cluster. Without tags it is false even if the
// slots happen to coincide.
//
// With shards it reports whether that holds in every shard.
func (k Keys) SameSlot() bool {
	if len(k.shards) > 0 {
		for _, s := range k.shards {
			if !s.SameSlot() {
				return false
			}
		}
		return true
	}
	tag, ok := hashTag(k.Stream)
	if !ok {
		return false
	}
	for _, key := range []string{k.Urgent, k.Bulk, k.Dead, k.Delayed, k.HeldPrefix, k.HeldIndex, k.LockPrefix} {
		if t, ok := hashTag(key); !ok || t != tag {
			return false
		}
	}
	return true
}

// CheckKeys reports keys that rdb cannot use: on a Redis Cluster client,
// keys whose multi-key calls would span hash slots (see SameSlot). The
// error says how to name the stream instead.
func CheckKeys(rdb redis.UniversalClient, keys Keys) error {
	if !IsCluster(rdb) || keys.SameSlot() {
		return nil
	}
	return fmt.Errorf("stream %q has no hash tag, and on Redis Cluster the keys derived from it must share one slot: name it with a tag, e.g. \"{outreach}:jobs\" (other services then XADD to that name)",
		keys.Stream)
}

// hashTag returns the part of key that Redis Cluster hashes when the key has
// a non-empty {tag}, following the cluster specification.
func hashTag(key string) (string, bool) {
	start := strings.IndexByte(key, '{')
	if start < 0 {
		return "", false
	}
	end := strings.IndexByte(key[start+1:], '}')
	if end <= 0 { // no "}" or an empty "{}"
		return "", false
	}
	return key[start+1 : start+1+end], true
}

// ScanKeys calls fn for every key matching pattern (SCAN MATCH), with the
// node that holds it: on a Redis Cluster client every master is scanned,
// one after the other.
func ScanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string, fn func(ctx context.Context, node redis.Cmdable, key string) error) error {
	scan := func(ctx context.Context, node redis.Cmdable) error {
		iter := node.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			if err := fn(ctx, node, iter.Val()); err != nil {
				return err
			}
		}
		if err := iter.Err(); err != nil {
			return fmt.Errorf("scan keys %s: %w", pattern, err)
		}
		return nil
	}
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return scan(ctx, rdb)
	}
	var mu sync.Mutex // fn is called from one master at a time
	return cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		return scan(ctx, m)
	})
}
