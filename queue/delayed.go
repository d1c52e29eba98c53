package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// A delayed member is "<source id>|<attempt>[:<lane>]|<job JSON>". The source
// id and the attempt make it unique per (entry, attempt): two schedules never
// collapse into one, and scheduling the same entry and attempt again only
// moves its time. The lane ("urgent" or "bulk"; none for the normal lane) is
// where PromoteDue puts the job back. Stream ids, numbers and lane names hold
// no "|", so the first two split it unambiguously whatever the job holds.
const memberSep = "|"

func encodeMember(sourceID string, attempt int, lane string, job []byte) string {
	a := strconv.Itoa(attempt)
	if lane != "" && lane != string(outreach.PriorityNormal) {
		a += ":" + lane
	}
	return sourceID + memberSep + a + memberSep + string(job)
}

// laneOf is the lane name of a job's JSON: its priority, normal when it
// has none or cannot be read (the stream it goes to will dead-letter it).
func laneOf(job []byte) string {
	var j struct {
		Priority outreach.Priority `json:"priority"`
	}
	if json.Unmarshal(job, &j) != nil {
		return string(outreach.PriorityNormal)
	}
	switch j.Priority {
	case outreach.PriorityUrgent, outreach.PriorityBulk:
		return string(j.Priority)
	}
	return string(outreach.PriorityNormal)
}

// Schedule puts e's job in the delayed set, to come back at `at` with the
// given attempt (see PromoteDue) in the lane of the job's priority, and
// acks e, both in one MULTI/EXEC (on the delayed set of e's shard: the job
// comes back in the shard it was in). Use it for retries (attempt e.Attempt+1)
// and for jobs whose send_at is ahead (attempt e.Attempt). Calling it again
// for the same entry and attempt is harmless: the member is the same, only
// its time is updated. An entry without a job cannot be scheduled:
// dead-letter it instead.
func (c *Consumer) Schedule(ctx context.Context, e Entry, at time.Time, attempt int) error {
	if err := checkSchedulable(e, attempt); err != nil {
		return err
	}
	member := encodeMember(e.ID, attempt, laneOf(e.Job), e.Job)
	_, err := c.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.ZAdd(ctx, c.shard(e.Stream).Delayed, redis.Z{Score: float64(at.UnixMilli()), Member: member})
		pipe.XAck(ctx, c.streamOf(e.Stream), c.keys.Group, e.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("schedule entry %s for attempt %d: %w", e.ID, attempt, err)
	}
	return nil
}

func checkSchedulable(e Entry, attempt int) error {
	switch {
	case !e.HasJob:
		return fmt.Errorf("schedule entry %s: it has no %q field", e.ID, FieldJob)
	case attempt < 0:
		return fmt.Errorf("schedule entry %s: negative attempt %d", e.ID, attempt)
	case e.ID == "" || strings.Contains(e.ID, memberSep):
		return fmt.Errorf("schedule entry: invalid stream id %q", e.ID)
	}
	return nil
}

// Delayed is a job to put in the delayed set until At, to come back with
// Attempt.
type Delayed struct {
	Job     outreach.Job
	At      time.Time
	Attempt int
}

// ScheduleJobs puts new jobs in the delayed set on behalf of the entry
// whose id is sourceID (a quiet-hours deferral of one resident, a
// follow-up), each to come back at its time in the lane of its priority. It
// does not ack anything. Members are derived from sourceID, the attempt and
// the job's JSON, so calling it again with the same jobs (a redelivered
// entry) only moves their times. Each job waits in the delayed set of the
// shard of its id (Keys.ShardOf), as if a Producer had enqueued it. Every job is validated first; if one is
// invalid nothing is scheduled.
func (c *Consumer) ScheduleJobs(ctx context.Context, sourceID string, jobs []Delayed) error {
	if len(jobs) == 0 {
		return nil
	}
	zs := make(map[int][]redis.Z)
	for _, d := range jobs {
		if err := checkSchedulable(Entry{ID: sourceID, HasJob: true}, d.Attempt); err != nil {
			return err
		}
		raw, err := encodeJob(d.Job)
		if err != nil {
			return fmt.Errorf("schedule job %q: %w", d.Job.ID, err)
		}
		lane := string(d.Job.EffectivePriority())
		shard := c.keys.ShardOf(d.Job.ID)
		zs[shard] = append(zs[shard], redis.Z{Score: float64(d.At.UnixMilli()), Member: encodeMember(sourceID, d.Attempt, lane, raw)})
	}
	_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for shard, z := range zs {
			pipe.ZAdd(ctx, c.shards[shard].Delayed, z...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("schedule %d jobs from entry %s: %w", len(jobs), sourceID, err)
	}
	return nil
}

// promoteScript moves due members from the delayed set to the lanes.
// KEYS: delayed, stream, dead, urgent, bulk. ARGV: now (unix ms), limit,
// reason and failed_at for malformed members. It parses members as
// encodeMember writes them (members written before lanes existed have no
// lane and go to the normal lane). A script runs atomically, so several
// daemons promoting at once never move a member twice. A member that does
// not parse goes to the dead-letter stream rather than blocking the set.
// It returns the number of members put back on a lane.
var promoteScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local lanes = {urgent = KEYS[4], bulk = KEYS[5]}
local moved = 0
for _, m in ipairs(due) do
  local a = string.find(m, '|', 1, true)
  local b = a and string.find(m, '|', a + 1, true)
  local attempt, lane
  if b then
    attempt, lane = string.match(string.sub(m, a + 1, b - 1), '^(%d+):?(%a*)$')
  end
  if attempt then
    redis.call('XADD', lanes[lane] or KEYS[2], '*',
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
// the delayed set back to their lanes, as entries with the job, its attempt
// and retry_of (the id they were scheduled from), in one atomic Lua script:
// safe to run from several daemons at once. limit <= 0 means Count. It
// returns how many it moved; when that is limit, more may be due. With
// shards, each shard's delayed set goes back to that shard's lanes, one
// script per shard (starting with another shard each call), until limit.
func (c *Consumer) PromoteDue(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = c.opt.Count
	}
	total, n := 0, len(c.shards)
	first := int(c.turn.Add(1)) % n
	for i := 0; i < n && total < limit; i++ {
		k := c.shards[(first+i)%n]
		moved, err := promoteScript.Run(ctx, c.rdb,
			[]string{k.Delayed, k.Stream, k.Dead, k.Urgent, k.Bulk},
			now.UnixMilli(), limit-total, string(outreach.ReasonInvalidJob), now.UTC().Format(time.RFC3339),
		).Int()
		if err != nil {
			return total, fmt.Errorf("promote due retries from %s: %w", k.Delayed, err)
		}
		total += moved
	}
	return total, nil
}
