package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
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
	rdb  redis.UniversalClient
	keys Keys
	opt  ConsumerOptions

	mu     sync.Mutex
	cursor string // XAUTOCLAIM start id of the next Claim sweep
}

// NewConsumer returns a consumer of keys.Group on keys.Stream.
func NewConsumer(rdb redis.UniversalClient, keys Keys, opt ConsumerOptions) *Consumer {
	return &Consumer{rdb: rdb, keys: keys, opt: opt.withDefaults(), cursor: "0-0"}
}

// Name is the consumer's name in the group.
func (c *Consumer) Name() string { return c.opt.Name }

// Keys are the keys the consumer works on.
func (c *Consumer) Keys() Keys { return c.keys }

// EnsureGroup creates the consumer group (and the stream if missing). A group
// that exists already is fine and is left as it is.
//
// A new group starts at id "0", not "$": jobs XADDed before any daemon ever
// ran, or while the stream was recreated without its group (see Read), are
// delivered rather than skipped. The price is that destroying the group by hand
// on a stream that keeps old entries replays them; consumers deduplicate on
// the job id, so nothing is sent twice.
//
// On a Redis Cluster client it fails unless the keys share one hash slot.
func (c *Consumer) EnsureGroup(ctx context.Context) error {
	if _, ok := c.rdb.(*redis.ClusterClient); ok && !c.keys.SameSlot() {
		return fmt.Errorf("check keys for Redis Cluster: stream %q, %q and %q need one hash tag, e.g. \"{outreach}:jobs\"",
			c.keys.Stream, c.keys.Dead, c.keys.Delayed)
	}
	err := c.rdb.XGroupCreateMkStream(ctx, c.keys.Stream, c.keys.Group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s: %w", c.keys.Group, c.keys.Stream, err)
	}
	return nil
}

// Read returns up to Count new entries (XREADGROUP ... >), waiting at most
// Block for them; it returns nil, nil when none came. If the group is gone
// (the stream key was deleted, or Redis restarted without its data) it
// re-creates it and tries once more.
//
// Read checks ctx before it asks Redis, but cannot interrupt a blocking
// read: after ctx is cancelled it returns within one Block. Entries it
// returns are pending to this consumer whatever ctx says, so settle them or
// leave them for Claim. Prefer cancellation to short deadlines on ctx: a
// deadline that cuts a read short loses its reply, and those entries wait
// MinIdle for Claim.
func (c *Consumer) Read(ctx context.Context) ([]Entry, error) {
	entries, err := c.read(ctx)
	if isNoGroup(err) {
		if err := c.EnsureGroup(ctx); err != nil {
			return nil, fmt.Errorf("recover lost consumer group: %w", err)
		}
		entries, err = c.read(ctx)
	}
	return entries, err
}

func (c *Consumer) read(ctx context.Context) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	streams, err := c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group:    c.keys.Group,
		Consumer: c.opt.Name,
		Streams:  []string{c.keys.Stream, ">"},
		Count:    int64(c.opt.Count),
		Block:    c.opt.Block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read group %s on %s: %w", c.keys.Group, c.keys.Stream, err)
	}
	var entries []Entry
	for _, s := range streams {
		got, _ := entriesFrom(s.Messages) // ">" never delivers deleted entries
		entries = append(entries, got...)
	}
	return entries, nil
}

// Claim takes over up to Count entries that other consumers (typically a dead
// daemon) have left pending for at least MinIdle, in one XAUTOCLAIM step.
// Successive calls sweep the pending list from a cursor kept in the consumer
// and start over once it is through. Entries that were deleted from the stream
// while pending are acked so that they do not stay pending forever; they are
// not returned; if that cleanup fails, the claimed entries come back with
// the error and are this consumer's to settle. A lost group is re-created
// (with nothing pending).
func (c *Consumer) Claim(ctx context.Context) ([]Entry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msgs, next, deleted, err := c.rdb.XAutoClaimWithDeleted(ctx, &redis.XAutoClaimArgs{
		Stream:   c.keys.Stream,
		Group:    c.keys.Group,
		Consumer: c.opt.Name,
		MinIdle:  c.opt.MinIdle,
		Start:    c.cursor,
		Count:    int64(c.opt.Count),
	}).Result()
	if isNoGroup(err) {
		c.cursor = "0-0"
		if err := c.EnsureGroup(ctx); err != nil {
			return nil, fmt.Errorf("recover lost consumer group: %w", err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim idle entries of group %s on %s: %w", c.keys.Group, c.keys.Stream, err)
	}
	c.cursor = cmp.Or(next, "0-0")
	entries, gone := entriesFrom(msgs) // Redis 6.2 returns deleted entries with nil fields
	// Redis 7 has already dropped the deleted ids from the pending list; the
	// ack is for 6.2, and harmless on 7.
	if gone = append(gone, deleted...); len(gone) > 0 {
		if err := c.Ack(ctx, gone...); err != nil {
			return entries, fmt.Errorf("clean up deleted entries: %w", err)
		}
	}
	return entries, nil
}

// Ack acknowledges entries (one XACK for all ids): they leave the pending list.
// Acking an id that is not pending is a no-op.
func (c *Consumer) Ack(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := c.rdb.XAck(ctx, c.keys.Stream, c.keys.Group, ids...).Err(); err != nil {
		return fmt.Errorf("ack %d entries on %s: %w", len(ids), c.keys.Stream, err)
	}
	return nil
}

func isNoGroup(err error) bool { return err != nil && redis.HasErrorPrefix(err, "NOGROUP") }
