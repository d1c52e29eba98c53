package queue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Stats are the queue's gauges. Length, Lag and Pending are the sums over
// the lanes (of every shard); Lanes has them per lane, in the order the
// lanes are read, and Shards per shard.
type Stats struct {
	Length  int64        // entries in the lanes (XLEN), read or not
	Lag     int64        // entries not yet delivered to the group
	Pending int64        // entries delivered to the group and not yet acked
	Dead    int64        // entries in the dead-letter streams
	Delayed int64        // jobs waiting in the delayed sets
	Lanes   [3]LaneStats // urgent, normal, bulk: the order they are read in
	Shards  []ShardStats // shard i at index i (one without sharding)
}

// ShardStats are the gauges of one shard, its lanes added up.
type ShardStats struct {
	Stream                              string // the shard's normal lane
	Length, Lag, Pending, Dead, Delayed int64
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
	type shardCmds struct {
		lengths       []*redis.IntCmd
		groups        []*redis.XInfoGroupsCmd
		dead, delayed *redis.IntCmd
	}
	cmds := make([]shardCmds, len(c.shards))
	_, _ = c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, k := range c.shards {
			for _, stream := range k.Lanes() {
				cmds[i].lengths = append(cmds[i].lengths, pipe.XLen(ctx, stream))
				cmds[i].groups = append(cmds[i].groups, pipe.XInfoGroups(ctx, stream))
			}
			cmds[i].dead = pipe.XLen(ctx, k.Dead)
			cmds[i].delayed = pipe.ZCard(ctx, k.Delayed)
		}
		return nil
	}) // each command's error is checked below
	s := Stats{Shards: make([]ShardStats, len(c.shards))}
	for i, k := range c.shards {
		sh := ShardStats{Stream: k.Stream}
		var err error
		if sh.Dead, err = cmds[i].dead.Result(); err != nil {
			return Stats{}, fmt.Errorf("read length of %s: %w", k.Dead, err)
		}
		if sh.Delayed, err = cmds[i].delayed.Result(); err != nil {
			return Stats{}, fmt.Errorf("read size of %s: %w", k.Delayed, err)
		}
		for j, stream := range k.Lanes() {
			l, err := c.laneStats(ctx, stream, cmds[i].lengths[j], cmds[i].groups[j])
			if err != nil {
				return Stats{}, err
			}
			s.Lanes[j].Name = l.Name
			s.Lanes[j].Length += l.Length
			s.Lanes[j].Lag += l.Lag
			s.Lanes[j].Pending += l.Pending
			sh.Length += l.Length
			sh.Lag += l.Lag
			sh.Pending += l.Pending
		}
		s.Shards[i] = sh
		s.Length += sh.Length
		s.Lag += sh.Lag
		s.Pending += sh.Pending
		s.Dead += sh.Dead
		s.Delayed += sh.Delayed
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
