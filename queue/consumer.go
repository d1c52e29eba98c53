package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for ConsumerOptions.
const (
	DefaultCount   = 100
	DefaultBlock   = time.Second
	DefaultMinIdle = 60 * time.Second
)

// ConsumerOptions tune a Consumer; zero fields take the defaults.
type ConsumerOptions struct {
	// Name is the consumer name in the group, unique per daemon.
	// Default: DefaultConsumerName() (hostname-pid).
	Name string
	// Count is the most entries one Read or Claim returns. Default 100.
	Count int
	// Block is how long Read waits for new entries. Default 1s. It is never
	// 0 (BLOCK 0 waits forever, and a cancelled context does not interrupt a
	// blocking XREADGROUP), and less than a millisecond counts as one: keep it
	// short, since it bounds how long Read takes to notice a cancelled context.
	Block time.Duration
	// MinIdle is how long an entry must have been pending with another
	// consumer before Claim takes it over. Default 60s: longer than the
	// slowest job, or two daemons will work on the same entry.
	MinIdle time.Duration
}

// DefaultConsumerName is hostname-pid, unique per daemon on a network.
func DefaultConsumerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "outreach"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

func (o ConsumerOptions) withDefaults() ConsumerOptions {
	if o.Name == "" {
		o.Name = DefaultConsumerName()
	}
	if o.Count <= 0 {
		o.Count = DefaultCount
	}
	if o.Block <= 0 {
		o.Block = DefaultBlock
	}
	o.Block = max(o.Block, time.Millisecond) // go-redis sends whole ms: 0 would block forever
	if o.MinIdle <= 0 {
		o.MinIdle = DefaultMinIdle
	}
	return o
}

// Consumer reads jobs as one consumer of a consumer group, and settles them:
// Ack, Schedule (retry later) or DeadLetter. It is safe for concurrent use.
type Consumer struct {
	rdb     redis.UniversalClient
	keys    Keys
	shards  []Keys         // keys.Shards()
	shardOf map[string]int // lane stream -> its shard
	cluster bool           // rdb is a cluster client: one blocking read per shard
	turn    atomic.Uint32  // rotates the shard reads start at, for fairness
	reads   atomic.Uint64  // numbers the reads and claims (Entry.Holder)
	opt     ConsumerOptions

	mu      sync.Mutex
	cursors map[string]string // per lane: XAUTOCLAIM start id of the next Claim sweep
}

// NewConsumer returns a consumer of keys.Group on the lanes of keys, of
// every shard.
func NewConsumer(rdb redis.UniversalClient, keys Keys, opt ConsumerOptions) *Consumer {
	c := &Consumer{rdb: rdb, keys: keys, shards: keys.Shards(), shardOf: map[string]int{},
		cluster: IsCluster(rdb), opt: opt.withDefaults(), cursors: map[string]string{}}
	for i, s := range c.shards {
		for _, l := range s.Lanes() {
			c.shardOf[l] = i
		}
	}
	return c
}

// shard is the keys of the shard that stream (a lane) belongs to; shard 0's
// for "" or a stream that is no lane.
func (c *Consumer) shard(stream string) Keys { return c.shards[c.shardOf[c.streamOf(stream)]] }

// Name is the consumer's name in the group.
func (c *Consumer) Name() string { return c.opt.Name }

// Keys are the keys the consumer works on.
func (c *Consumer) Keys() Keys { return c.keys }

// EnsureGroup creates the consumer group on every lane (and the lanes'
// streams if missing). A group that exists already is fine and is left as
// it is.
//
// A new group starts at id "0", not "$": jobs XADDed before any daemon ever
// ran, or while the stream was recreated without its group (see Read), are
// delivered rather than skipped. The price is that destroying the group by hand
// on a stream that keeps old entries replays them; consumers deduplicate on
// the job id, so nothing is sent twice.
//
// On a Redis Cluster client it fails unless the keys share one hash slot.
func (c *Consumer) EnsureGroup(ctx context.Context) error {
	if err := CheckKeys(c.rdb, c.keys); err != nil {
		return err
	}
	for _, shard := range c.shards {
		for _, stream := range shard.Lanes() {
			err := c.rdb.XGroupCreateMkStream(ctx, stream, c.keys.Group, "0").Err()
			if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
				return fmt.Errorf("create consumer group %s on %s: %w", c.keys.Group, stream, err)
			}
		}
	}
	return nil
}

// Read returns up to Count new entries (XREADGROUP ... >) of the most urgent
// lane that has any: it looks at the urgent lane, then the normal one, then
// the bulk one, without waiting, and returns the first entries it finds; so
// however many bulk jobs are waiting, an urgent one is the next read. When
// every lane is empty it waits at most Block for an entry on any of them, and
// returns nil, nil when none came. If the group is gone (a stream key was
// deleted, or Redis restarted without its data) it re-creates it and tries
// once more.
//
// With shards, each lane is looked at in every shard (one pipeline, Count
// shared out among the shards, starting with another shard each time), so
// urgent entries of any shard come before normal ones of any shard. The
// wait is one blocking read on every shard's lanes on one node; on a Redis
// Cluster, where one read cannot span slots, it is a read of Block/shards
// on one shard, another each time, after the look at all of them. Entries
// that some shards returned are returned even if another shard failed (they
// are pending to this consumer); the failure shows on a later Read.
//
// Read checks ctx before it asks Redis, but cannot interrupt a blocking
// read: after ctx is cancelled it returns within one Block. Entries it
// returns are pending to this consumer whatever ctx says, so settle them or
// leave them for Claim. Prefer cancellation to short deadlines on ctx: a
// deadline that cuts a read short loses its reply, and those entries wait
// MinIdle for Claim.
func (c *Consumer) Read(ctx context.Context) ([]Entry, error) {
	entries, err := c.read(ctx)
	if isNoGroup(err) && len(entries) == 0 {
		if err := c.EnsureGroup(ctx); err != nil {
			return nil, fmt.Errorf("recover lost consumer group: %w", err)
		}
		entries, err = c.read(ctx)
	}
	return entries, err
}

// ReadUrgent returns up to Count new entries of the urgent lane only,
// waiting at most Block for one (nil, nil when none came). A daemon runs
// it beside Read so that an urgent entry is taken at once, even while
// Read's caller is still handing out a batch of bulk entries. Like Read, it
// re-creates a lost group.
func (c *Consumer) ReadUrgent(ctx context.Context) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := c.readUrgent(ctx)
	if isNoGroup(err) && len(entries) == 0 {
		if err := c.EnsureGroup(ctx); err != nil {
			return nil, fmt.Errorf("recover lost consumer group: %w", err)
		}
		entries, err = c.readUrgent(ctx)
	}
	return entries, err
}

const urgentLane, normalLane, bulkLane = 0, 1, 2

func (c *Consumer) readUrgent(ctx context.Context) ([]Entry, error) {
	if len(c.shards) == 1 {
		return c.readGroup(ctx, []string{c.keys.Urgent}, c.opt.Block)
	}
	entries, err := c.sweep(ctx, urgentLane)
	if len(entries) > 0 || err != nil {
		return entries, err
	}
	return c.wait(ctx, urgentLane)
}

func (c *Consumer) read(ctx context.Context) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for lane := range 3 {
		entries, err := c.sweep(ctx, lane)
		if len(entries) > 0 || err != nil {
			return entries, err
		}
	}
	return c.wait(ctx, urgentLane, normalLane, bulkLane)
}

// rotated is lane of every shard, starting at another shard each call.
func (c *Consumer) rotated(lane int) []string {
	n := len(c.shards)
	first := int(c.turn.Add(1)) % n
	streams := make([]string, n)
	for i := range n {
		streams[i] = c.shards[(first+i)%n].Lanes()[lane]
	}
	return streams
}

// sweep reads up to Count new entries of lane from the shards without
// waiting: Count is shared out among the shards in one pipeline, and
// shards that filled their share are asked again for what is left.
func (c *Consumer) sweep(ctx context.Context, lane int) ([]Entry, error) {
	if len(c.shards) == 1 {
		return c.readGroup(ctx, []string{c.shards[0].Lanes()[lane]}, -1) // -1: no BLOCK, answer at once
	}
	var (
		out      []Entry
		firstErr error
	)
	active, left := c.rotated(lane), c.opt.Count
	for len(active) > 0 && left > 0 {
		asked, next := active, []string(nil)
		if left < len(asked) {
			asked, next = active[:left], slices.Clone(active[left:])
		}
		shares := make([]int, len(asked))
		for i := range shares {
			shares[i] = left / len(asked)
			if i < left%len(asked) {
				shares[i]++
			}
		}
		got, errs := c.readEach(ctx, asked, shares)
		for i, es := range got {
			out = append(out, es...)
			left -= len(es)
			if errs[i] != nil && firstErr == nil {
				firstErr = errs[i]
			}
			if errs[i] == nil && len(es) == shares[i] { // full: it may have more
				next = append(next, asked[i])
			}
		}
		active = next
	}
	if len(out) > 0 {
		return out, nil
	}
	return nil, firstErr
}

// readEach reads up to counts[i] new entries of streams[i], without
// waiting, in one pipeline (on a cluster, one per node, in parallel).
func (c *Consumer) readEach(ctx context.Context, streams []string, counts []int) ([][]Entry, []error) {
	cmds := make([]*redis.XStreamSliceCmd, len(streams))
	_, _ = c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, s := range streams {
			cmds[i] = pipe.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: c.keys.Group, Consumer: c.opt.Name, Streams: []string{s, ">"}, Count: int64(counts[i]), Block: -1,
			})
		}
		return nil
	}) // each command's error is looked at below
	got, errs := make([][]Entry, len(streams)), make([]error, len(streams))
	for i, cmd := range cmds {
		res, err := cmd.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			errs[i] = fmt.Errorf("read group %s on %s: %w", c.keys.Group, streams[i], err)
			continue
		}
		for _, s := range res {
			es, _ := c.entriesFrom(s.Stream, s.Messages)
			got[i] = append(got[i], es...)
		}
	}
	return got, errs
}

// wait waits at most Block for new entries of the lanes (of every shard)
// and returns those of the first lane that has any, in lane order. On one
// node that is one blocking read of all of them; on a cluster it is one
// shard's (another each time) for Block divided by the shards, so that
// the caller's next sweep of every shard comes within about Block.
func (c *Consumer) wait(ctx context.Context, lanes ...int) ([]Entry, error) {
	var streams []string
	block := c.opt.Block
	if c.cluster && len(c.shards) > 1 {
		s := c.shards[int(c.turn.Add(1))%len(c.shards)]
		for _, l := range lanes {
			streams = append(streams, s.Lanes()[l])
		}
		block = max(block/time.Duration(len(c.shards)), time.Millisecond)
	} else {
		for _, l := range lanes {
			for _, s := range c.shards {
				streams = append(streams, s.Lanes()[l])
			}
		}
	}
	return c.readGroup(ctx, streams, block)
}

// readGroup is one XREADGROUP on streams; block < 0 does not wait.
// Entries come in the order of streams.
func (c *Consumer) readGroup(ctx context.Context, streams []string, block time.Duration) ([]Entry, error) {
	args := make([]string, 0, 2*len(streams))
	args = append(args, streams...)
	for range streams {
		args = append(args, ">")
	}
	got, err := c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group:    c.keys.Group,
		Consumer: c.opt.Name,
		Streams:  args,
		Count:    int64(c.opt.Count),
		Block:    block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read group %s on %s: %w", c.keys.Group, strings.Join(streams, ", "), err)
	}
	var entries []Entry
	for _, stream := range streams { // the reply's order is Redis's; keep the lanes' order
		for _, s := range got {
			if s.Stream == stream {
				es, _ := c.entriesFrom(stream, s.Messages) // ">" never delivers deleted entries
				entries = append(entries, es...)
			}
		}
	}
	return entries, nil
}

// Claim takes over up to Count entries that other consumers (typically a dead
// daemon) have left pending for at least MinIdle, in one XAUTOCLAIM step per
// lane (of every shard, shard by shard, starting with another shard each
// call), urgent lanes first: it returns the first lane's entries it finds.
// Successive calls sweep each lane's pending list from a cursor kept in the
// consumer and start over once it is through. Entries that were deleted
// from the stream while pending are acked so that they do not stay pending
// forever; they are not returned; if that cleanup fails, the claimed entries
// come back with the error and are this consumer's to settle. Claimed
// entries carry their Deliveries, read with one pipeline of XPENDING per
// batch, so that a caller can give up on an entry that keeps being claimed
// (see Entry.Deliveries); if that look-up fails, the entries come back
// with the error too. A lost group is re-created (with nothing pending).
func (c *Consumer) Claim(ctx context.Context) ([]Entry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := int(c.turn.Add(1)) % len(c.shards)
	for lane := range 3 {
		for i := range c.shards {
			shard := c.shards[(first+i)%len(c.shards)]
			entries, err := c.claim(ctx, shard.Lanes()[lane])
			if len(entries) > 0 || err != nil {
				return entries, err
			}
		}
	}
	return nil, nil
}

func (c *Consumer) claim(ctx context.Context, stream string) ([]Entry, error) {
	msgs, next, deleted, err := c.rdb.XAutoClaimWithDeleted(ctx, &redis.XAutoClaimArgs{
		Stream:   stream,
		Group:    c.keys.Group,
		Consumer: c.opt.Name,
		MinIdle:  c.opt.MinIdle,
		Start:    cmp.Or(c.cursors[stream], "0-0"),
		Count:    int64(c.opt.Count),
	}).Result()
	if isNoGroup(err) {
		clear(c.cursors)
		if err := c.EnsureGroup(ctx); err != nil {
			return nil, fmt.Errorf("recover lost consumer group: %w", err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim idle entries of group %s on %s: %w", c.keys.Group, stream, err)
	}
	c.cursors[stream] = cmp.Or(next, "0-0")
	entries, gone := c.entriesFrom(stream, msgs) // Redis 6.2 returns deleted entries with nil fields
	// Redis 7 has already dropped the deleted ids from the pending list; the
	// ack is for 6.2, and harmless on 7.
	if gone = append(gone, deleted...); len(gone) > 0 {
		if err := c.ackOn(ctx, stream, gone...); err != nil {
			return entries, fmt.Errorf("clean up deleted entries: %w", err)
		}
	}
	if err := c.deliveries(ctx, stream, entries); err != nil {
		return entries, err
	}
	return entries, nil
}

// deliveries sets the Deliveries of entries, pending in stream, from their
// delivery counts (XPENDING with a one-id range each, in one pipeline).
// Redis 6.2 and 7 both count the XAUTOCLAIM that just claimed them.
func (c *Consumer) deliveries(ctx context.Context, stream string, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	cmds := make([]*redis.XPendingExtCmd, len(entries))
	_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, e := range entries {
			cmds[i] = pipe.XPendingExt(ctx, &redis.XPendingExtArgs{
				Stream: stream, Group: c.keys.Group, Start: e.ID, End: e.ID, Count: 1,
			})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read delivery counts of %d claimed entries on %s: %w", len(entries), stream, err)
	}
	for i, cmd := range cmds {
		if p := cmd.Val(); len(p) == 1 {
			entries[i].Deliveries = int(p[0].RetryCount)
		}
	}
	return nil
}

// Ack acknowledges entries of the normal lane (one XACK for all ids): they
// leave the pending list. Acking an id that is not pending is a no-op. Use
// AckRefs for entries of any lane.
func (c *Consumer) Ack(ctx context.Context, ids ...string) error {
	return c.ackOn(ctx, c.keys.Stream, ids...)
}

// AckRefs acknowledges entries of any lanes, with one XACK per lane in one
// pipeline.
func (c *Consumer) AckRefs(ctx context.Context, refs ...Ref) error {
	if len(refs) == 0 {
		return nil
	}
	byStream := c.byStream(refs)
	if len(byStream) == 1 {
		for s, ids := range byStream {
			return c.ackOn(ctx, s, ids...)
		}
	}
	_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for s, ids := range byStream {
			pipe.XAck(ctx, s, c.keys.Group, ids...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack %d entries: %w", len(refs), err)
	}
	return nil
}

func (c *Consumer) ackOn(ctx context.Context, stream string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := c.rdb.XAck(ctx, stream, c.keys.Group, ids...).Err(); err != nil {
		return fmt.Errorf("ack %d entries on %s: %w", len(ids), stream, err)
	}
	return nil
}

// streamOf is the stream an entry was read from: Keys.Stream when unset.
func (c *Consumer) streamOf(stream string) string { return cmp.Or(stream, c.keys.Stream) }

// byStream groups the ids of refs by the stream they are on.
func (c *Consumer) byStream(refs []Ref) map[string][]string {
	m := map[string][]string{}
	for _, r := range refs {
		s := c.streamOf(r.Stream)
		m[s] = append(m[s], r.ID)
	}
	return m
}

// entriesFrom converts messages read from stream, dropping the ones whose
// entry was deleted from the stream (nil values) and returning their ids apart.
func (c *Consumer) entriesFrom(stream string, msgs []redis.XMessage) (entries []Entry, deleted []string) {
	lane := c.keys.LaneName(stream)
	read := c.reads.Add(1)
	for _, m := range msgs {
		if m.Values == nil {
			deleted = append(deleted, m.ID)
			continue
		}
		e := entryFrom(m)
		e.Stream, e.Lane, e.Shard, e.read = stream, lane, c.shardOf[stream], read
		entries = append(entries, e)
	}
	return entries, deleted
}

func isNoGroup(err error) bool { return err != nil && redis.HasErrorPrefix(err, "NOGROUP") }

// Keep tells the group that this consumer is still working on refs: one
// XCLAIM ... JUSTID per stream resets their idle time without adding to
// their delivery count (JUSTID does not count a delivery). The dispatcher
// calls it for its entries in progress every MinIdle/3, so that a long job
// is neither claimed by another daemon nor counted towards MaxClaims as if
// it had been left by a crashed one. Ids that are no longer pending (acked
// meanwhile) are ignored by Redis.
func (c *Consumer) Keep(ctx context.Context, refs ...Ref) error {
	if len(refs) == 0 {
		return nil
	}
	_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for s, ids := range c.byStream(refs) {
			pipe.XClaimJustID(ctx, &redis.XClaimArgs{
				Stream: s, Group: c.keys.Group, Consumer: c.opt.Name, MinIdle: 0, Messages: ids,
			})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("keep %d entries in progress: %w", len(refs), err)
	}
	return nil
}

// MinIdle is how long an entry must have been idle before Claim takes it
// (ConsumerOptions.MinIdle, OUTREACH_CLAIM_IDLE).
func (c *Consumer) MinIdle() time.Duration { return c.opt.MinIdle }

// ClaimEvery is how often a daemon should Claim: a quarter of MinIdle,
// between 50ms and 1s, so that an entry a dead daemon left is claimed
// within a second of being idle for MinIdle. A Claim that finds nothing
// costs one XAUTOCLAIM per lane and shard.
func (c *Consumer) ClaimEvery() time.Duration {
	return min(max(c.opt.MinIdle/4, 50*time.Millisecond), time.Second)
}

// LockLease is the ttl job locks should be taken and renewed with: half of
// MinIdle, at least 1s. Renewed every third of it (LockLease/3) by the
// holder while it works, a lock lapses at most LockLease after its holder
// died; the dead holder's entries become claimable no sooner than 2/3 of
// MinIdle after it died (they were kept every MinIdle/3), so with MinIdle
// of 2s or more the lock is gone by the time another daemon claims them.
func (c *Consumer) LockLease() time.Duration { return max(c.opt.MinIdle/2, time.Second) }

// KeepEvery is how often entries in progress must be kept (see Keep) so
// that Claim never takes them: well within MinIdle (but not more often
// than every 50ms, for the tiny MinIdle of tests).
func (c *Consumer) KeepEvery() time.Duration { return max(c.opt.MinIdle/3, 50*time.Millisecond) }
