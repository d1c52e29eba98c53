package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// A delayed member is "<source id>|<attempt>|<job JSON>". The source id and
// the attempt make it unique per (entry, attempt): two schedules never
// collapse into one, and scheduling the same entry and attempt again only
// moves its time. Stream ids and numbers hold no "|", so the first two split
// it unambiguously whatever the job holds.
const memberSep = "|"

func encodeMember(sourceID string, attempt int, job []byte) string {
	return sourceID + memberSep + strconv.Itoa(attempt) + memberSep + string(job)
}

// Schedule puts e's job in the delayed set, to come back on the stream at
// `at` with the given attempt (see PromoteDue), and acks e, both in one
// MULTI/EXEC. Use it for retries (attempt e.Attempt+1) and for jobs whose
// send_at is ahead (attempt e.Attempt). Calling it again for the same entry
// and attempt is harmless: the member is the same, only its time is updated.
// An entry without a job cannot be scheduled: dead-letter it instead.
func (c *Consumer) Schedule(ctx context.Context, e Entry, at time.Time, attempt int) error {
	switch {
	case !e.HasJob:
		return fmt.Errorf("schedule entry %s: it has no %q field", e.ID, FieldJob)
	case attempt < 0:
		return fmt.Errorf("schedule entry %s: negative attempt %d", e.ID, attempt)
	case e.ID == "" || strings.Contains(e.ID, memberSep):
		return fmt.Errorf("schedule entry: invalid stream id %q", e.ID)
	}
	member := encodeMember(e.ID, attempt, e.Job)
	_, err := c.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.ZAdd(ctx, c.keys.Delayed, redis.Z{Score: float64(at.UnixMilli()), Member: member})
		pipe.XAck(ctx, c.keys.Stream, c.keys.Group, e.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("schedule entry %s for attempt %d: %w", e.ID, attempt, err)
	}
	return nil
}

// promoteScript moves due members from the delayed set to the stream.
// KEYS: delayed, stream, dead. ARGV: now (unix ms), limit, reason and
// failed_at for malformed members. It parses members as encodeMember writes
// them. A script runs atomically, so several
// daemons promoting at once never move a member twice. A member that does
// not parse goes to the dead-letter stream rather than blocking the set.
// It returns the number of members put back on the stream.
var promoteScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local moved = 0
for _, m in ipairs(due) do
  local a = string.find(m, '|', 1, true)
  local b = a and string.find(m, '|', a + 1, true)
  local attempt = b and string.sub(m, a + 1, b - 1)
  if attempt and string.match(attempt, '^%d+$') then
    redis.call('XADD', KEYS[2], '*',
      'job', string.sub(m, b + 1), 'attempt', attempt, 'retry_of', string.sub(m, 1, a - 1))
    moved = moved + 1
  else
    redis.call('XADD', KEYS[3], '*', 'member', m, 'reason', ARGV[3],
      'error', 'malformed delayed member', 'source_id', '', 'failed_at', ARGV[4])
  end
  redis.call('ZREM', KEYS[1], m)
end
return moved
`)

// PromoteDue moves up to limit members whose time is at or before now from
// the delayed set back to the stream, as entries with the job, its attempt
// and retry_of (the id they were scheduled from), in one atomic Lua script:
// safe to run from several daemons at once. limit <= 0 means Count. It
// returns how many it moved; when that is limit, more may be due.
func (c *Consumer) PromoteDue(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = c.opt.Count
	}
	n, err := promoteScript.Run(ctx, c.rdb,
		[]string{c.keys.Delayed, c.keys.Stream, c.keys.Dead},
		now.UnixMilli(), limit, string(outreach.ReasonInvalidJob), now.UTC().Format(time.RFC3339),
	).Int()
	if err != nil {
		return 0, fmt.Errorf("promote due retries from %s: %w", c.keys.Delayed, err)
	}
	return n, nil
}
