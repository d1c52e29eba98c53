package queue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Stats are the queue's gauges. Length, Lag and Pending are the sums over
// the lanes; Lanes has them per lane, in the order the lanes are read.
type Stats struct {
	Length  int64        // entries in the lanes (XLEN), read or not
	Lag     int64        // entries not yet delivered to the group
	Pending int64        // entries delivered to the group and not yet acked
	Dead    int64        // entries in the dead-letter stream
	Delayed int64        // jobs waiting in the delayed set
	Lanes   [3]LaneStats // urgent, normal, bulk: the order they are read in
}

// LaneStats are the gauges of one lane.
type LaneStats struct {
	Name                 string // "urgent", "normal" or "bulk"
	Length, Lag, Pending int64
}

// lagScanCap bounds the fallback count of undelivered entries.
const lagScanCap = 10000

// countAfterScript counts entries after an id, at most ARGV[2] of them.
// KEYS: stream. ARGV: start id ("(id" exclusive or "-"), cap.
var countAfterScript = redis.NewScript(`
return #redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
`)

// Stats reads the gauges in one pipeline (XLEN and XINFO GROUPS per lane,
// XLEN, ZCARD).
//
// Lag comes from XINFO GROUPS. Redis reports it as nil when it cannot tell
// (entries deleted after the group's last-delivered id, Redis 7+), and older
// servers (6.2) do not report it at all; then Stats counts the entries after
// the last-delivered id itself, exactly up to 10000 and as 10000 beyond
// (a lower bound). A missing group means nothing was delivered: Lag = Length.
func (c *Consumer) Stats(ctx context.Context) (Stats, error) {
	lanes := c.keys.Lanes()
	var (
		lengths = make([]*redis.IntCmd, len(lanes))
		groups  = make([]*redis.XInfoGroupsCmd, len(lanes))
		dead    *redis.IntCmd
		delayed *redis.IntCmd
	)
	_, _ = c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, stream := range lanes {
			lengths[i] = pipe.XLen(ctx, stream)
			groups[i] = pipe.XInfoGroups(ctx, stream)
		}
		dead = pipe.XLen(ctx, c.keys.Dead)
		delayed = pipe.ZCard(ctx, c.keys.Delayed)
		return nil
	}) // each command's error is checked below
	var s Stats
	var err error
	if s.Dead, err = dead.Result(); err != nil {
		return Stats{}, fmt.Errorf("read length of %s: %w", c.keys.Dead, err)
	}
	if s.Delayed, err = delayed.Result(); err != nil {
		return Stats{}, fmt.Errorf("read size of %s: %w", c.keys.Delayed, err)
	}
	for i, stream := range lanes {
		l, err := c.laneStats(ctx, stream, lengths[i], groups[i])
		if err != nil {
			return Stats{}, err
		}
		s.Lanes[i] = l
		s.Length += l.Length
		s.Lag += l.Lag
		s.Pending += l.Pending
	}
	return s, nil
}

func (c *Consumer) laneStats(ctx context.Context, stream string, length *redis.IntCmd, groups *redis.XInfoGroupsCmd) (LaneStats, error) {
	l := LaneStats{Name: c.keys.LaneName(stream)}
	var err error
	if l.Length, err = length.Result(); err != nil {
		return l, fmt.Errorf("read length of %s: %w", stream, err)
	}
	infos, err := groups.Result()
	if err != nil && !redis.HasErrorPrefix(err, "no such key") { // no stream yet
		return l, fmt.Errorf("read groups of %s: %w", stream, err)
	}
	l.Lag = l.Length // no group (or no stream): nothing delivered
	for _, g := range infos {
		if g.Name != c.keys.Group {
			continue
		}
		l.Pending = g.Pending
		l.Lag = g.Lag
		// No lag field (Redis 6.2) leaves Lag and EntriesRead at 0, which on
		// Redis 7 only happens for an empty stream. A server that reports a
		// lag but no entries-read although the group delivered entries
		// (miniredis, which `outreach dev` embeds) does not keep the lag
		// up to date either: Redis 7 counts entries-read from the start.
		delivered := g.LastDeliveredID != "" && g.LastDeliveredID != "0-0"
		unknown := g.Lag < 0 || (g.EntriesRead == 0 && l.Length > 0 && (g.Lag == 0 || delivered))
		if unknown {
			if l.Lag, err = c.countAfter(ctx, stream, g.LastDeliveredID); err != nil {
				return l, err
			}
		}
	}
	return l, nil
}

// countAfter counts the entries of stream after id, up to lagScanCap.
func (c *Consumer) countAfter(ctx context.Context, stream, id string) (int64, error) {
	start := "(" + id
	if id == "" || id == "0-0" {
		start = "-"
	}
	n, err := countAfterScript.Run(ctx, c.rdb, []string{stream}, start, lagScanCap).Int64()
	if err != nil {
		return 0, fmt.Errorf("count undelivered entries of %s: %w", stream, err)
	}
	return n, nil
}
