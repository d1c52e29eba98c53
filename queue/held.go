package queue

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Hold parks e's job in the held set of a paused campaign and acks e, both
// in one MULTI/EXEC, so that the job neither runs nor is lost while the
// campaign is paused; ReleaseHeld puts it back. The campaign is noted in
// Keys.HeldIndex, which HeldCampaigns lists. Holding the same entry again
// is harmless: the member is the same. The held set is in e's shard.
func (c *Consumer) Hold(ctx context.Context, e Entry, campaignID string) error {
	if err := checkSchedulable(e, e.Attempt); err != nil {
		return err
	}
	if campaignID == "" {
		return fmt.Errorf("hold entry %s: no campaign", e.ID)
	}
	member := encodeMember(e.ID, e.Attempt, laneOf(e.Job), e.Job)
	k := c.shard(e.Stream)
	_, err := c.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.ZAdd(ctx, k.Held(campaignID), redis.Z{Score: float64(time.Now().UnixMilli()), Member: member})
		pipe.SAdd(ctx, k.HeldIndex, campaignID)
		pipe.XAck(ctx, c.streamOf(e.Stream), c.keys.Group, e.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("hold entry %s of campaign %q: %w", e.ID, campaignID, err)
	}
	return nil
}

// HeldCampaigns lists the ids of the campaigns that have held jobs (in
// any shard), sorted.
func (c *Consumer) HeldCampaigns(ctx context.Context) ([]string, error) {
	var ids []string
	for _, k := range c.shards {
		got, err := c.rdb.SMembers(ctx, k.HeldIndex).Result()
		if err != nil {
			return nil, fmt.Errorf("list campaigns with held jobs: %w", err)
		}
		ids = append(ids, got...)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// releaseScript moves up to ARGV[2] members of a held set to the delayed
// set with the score ARGV[1], and forgets the campaign (ARGV[3]) in the
// index once its set is empty, atomically.
// KEYS: held set, delayed set, held index.
var releaseScript = redis.NewScript(`
local ms = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
for _, m in ipairs(ms) do
  redis.call('ZADD', KEYS[2], ARGV[1], m)
end
if #ms > 0 then
  redis.call('ZREM', KEYS[1], unpack(ms))
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[3])
end
return #ms
`)

// ReleaseHeld moves the held jobs of a campaign to the delayed set, due at
// `at`, in batches of at most limit (<= 0 means 1000) per atomic script, and
// returns how many it moved. Call it once the campaign is no longer paused:
// a resumed campaign's jobs go on, a cancelled one's are archived as such.
func (c *Consumer) ReleaseHeld(ctx context.Context, campaignID string, at time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	total := 0
	for _, k := range c.shards { // each shard's held set goes to its own delayed set
		for {
			n, err := releaseScript.Run(ctx, c.rdb, []string{k.Held(campaignID), k.Delayed, k.HeldIndex},
				at.UnixMilli(), limit, campaignID).Int()
			if err != nil {
				return total, fmt.Errorf("release held jobs of campaign %q: %w", campaignID, err)
			}
			total += n
			if n < limit {
				break
			}
		}
	}
	return total, nil
}
