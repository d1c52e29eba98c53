package queue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Stats are the queue's gauges.
type Stats struct {
	Length  int64 // entries in the stream (XLEN), read or not
	Lag     int64 // entries not yet delivered to the group
	Pending int64 // entries delivered to the group and not yet acked
	Dead    int64 // entries in the dead-letter stream
	Delayed int64 // retries waiting in the delayed set
}

// lagScanCap bounds the fallback count of undelivered entries.
const lagScanCap = 10000

// countAfterScript counts entries after an id, at most ARGV[2] of them.
// KEYS: stream. ARGV: start id ("(id" exclusive or "-"), cap.
var countAfterScript = redis.NewScript(`
return #redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
`)

// Stats reads the gauges in one pipeline (XLEN, XINFO GROUPS, XLEN, ZCARD).
//
// Lag comes from XINFO GROUPS. Redis reports it as nil when it cannot tell
// (entries deleted after the group's last-delivered id, Redis 7+), and older
// servers (6.2) do not report it at all; then Stats counts the entries after
// the last-delivered id itself, exactly up to 10000 and as 10000 beyond
// (a lower bound). A missing group means nothing was delivered: Lag = Length.
func (c *Consumer) Stats(ctx context.Context) (Stats, error) {
	var (
		length, dead *redis.IntCmd
		groups       *redis.XInfoGroupsCmd
		delayed      *redis.IntCmd
	)
	_, _ = c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		length = pipe.XLen(ctx, c.keys.Stream)
		groups = pipe.XInfoGroups(ctx, c.keys.Stream)
		dead = pipe.XLen(ctx, c.keys.Dead)
		delayed = pipe.ZCard(ctx, c.keys.Delayed)
		return nil
	}) // each command's error is checked below
	var s Stats
	var err error
	if s.Length, err = length.Result(); err != nil {
		return Stats{}, fmt.Errorf("read length of %s: %w", c.keys.Stream, err)
	}
	if s.Dead, err = dead.Result(); err != nil {
		return Stats{}, fmt.Errorf("read length of %s: %w", c.keys.Dead, err)
	}
	if s.Delayed, err = delayed.Result(); err != nil {
		return Stats{}, fmt.Errorf("read size of %s: %w", c.keys.Delayed, err)
	}
	infos, err := groups.Result()
	if err != nil && !redis.HasErrorPrefix(err, "no such key") { // no stream yet
		return Stats{}, fmt.Errorf("read groups of %s: %w", c.keys.Stream, err)
	}
	s.Lag = s.Length // no group (or no stream): nothing delivered
	for _, g := range infos {
		if g.Name != c.keys.Group {
			continue
		}
		s.Pending = g.Pending
		s.Lag = g.Lag
		// No lag field (Redis 6.2) leaves Lag and EntriesRead at 0, which on
		// Redis 7 only happens for an empty stream.
		unknown := g.Lag < 0 || (g.Lag == 0 && g.EntriesRead == 0 && s.Length > 0)
		if unknown {
			if s.Lag, err = c.countAfter(ctx, g.LastDeliveredID); err != nil {
				return Stats{}, err
			}
		}
	}
	return s, nil
}

// countAfter counts the stream entries after id, up to lagScanCap.
func (c *Consumer) countAfter(ctx context.Context, id string) (int64, error) {
	start := "(" + id
	if id == "" || id == "0-0" {
		start = "-"
	}
	n, err := countAfterScript.Run(ctx, c.rdb, []string{c.keys.Stream}, start, lagScanCap).Int64()
	if err != nil {
		return 0, fmt.Errorf("count undelivered entries of %s: %w", c.keys.Stream, err)
	}
	return n, nil
}
