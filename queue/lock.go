package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lock marks jobID as being processed by holder for at most ttl and reports
// whether it got the mark. holder names one piece of work, not a daemon
// (workers of one daemon must exclude each other): the stream entry id
// being processed is a good holder. Two copies of one job (a producer's XADD
// retried, or the same id enqueued twice) can be read by two daemons at the
// same moment; the one that does not get the lock should come back later,
// when the archive says whether the other sent it. A lock is a lease: it
// lapses after ttl unless its holder renews it (RenewMany) while it works,
// so keep ttl short (see Consumer.LockLease) and renew well within it; a
// lock left by a daemon that died then lapses soon after. Taking a lock
// the same holder already has succeeds and extends it.
func (c *Consumer) Lock(ctx context.Context, jobID, holder string, ttl time.Duration) (bool, error) {
	ok, err := lockScript.Run(ctx, c.rdb, []string{c.keys.Lock(jobID)}, c.holder(holder), ttl.Milliseconds()).Bool()
	if err != nil && err != redis.Nil {
		return false, fmt.Errorf("lock job %q: %w", jobID, err)
	}
	return ok, nil
}

// Unlock releases jobID if holder has it.
func (c *Consumer) Unlock(ctx context.Context, jobID, holder string) error {
	if err := unlockScript.Run(ctx, c.rdb, []string{c.keys.Lock(jobID)}, c.holder(holder)).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("unlock job %q: %w", jobID, err)
	}
	return nil
}

// holder qualifies a holder with the consumer's name, which shows in Redis
// who holds a lock.
func (c *Consumer) holder(h string) string { return c.opt.Name + "/" + h }

// lockScript: SET NX PX, or extend when the holder is the caller.
var lockScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`)

// unlockScript deletes the key only when the caller holds it, so a lock
// that expired and was taken by another daemon is left alone.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// renewScript extends the key's expiry only when the caller holds it
// (compare and set in one step): a lock that lapsed and was taken by
// another holder is left alone, and one that lapsed and is free is not
// taken back, since another copy may be on its way with the archive's
// verdict. One key, so one hash slot on a cluster.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// JobLock names one job lock: the job id and the holder (see Lock).
type JobLock struct {
	JobID, Holder string
}

// The batch scripts are lockScript, renewScript and unlockScript for many
// keys in one call: KEYS are the locks, ARGV[1] the ttl in milliseconds
// (unused by unlock), ARGV[1+i] the holder of KEYS[i]; they return one
// 0 or 1 per key, in order. The keys of one call are locks of one shard,
// which share the shard's hash tag (one slot on a cluster; see runBatch).
// One call for a read batch of 20 jobs costs Redis a fraction of 20
// single-key calls (each EVALSHA has its own script lookup and Lua call).
var (
	lockManyScript = redis.NewScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == false or holder == ARGV[i+1] then
    redis.call('SET', key, ARGV[i+1], 'PX', ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`)
	renewManyScript = redis.NewScript(`
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i+1] then
    out[i] = redis.call('PEXPIRE', key, ARGV[1])
  else
    out[i] = 0
  end
end
return out
`)
	unlockManyScript = redis.NewScript(`
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i+1] then
    out[i] = redis.call('DEL', key)
  else
    out[i] = 0
  end
end
return out
`)
)

// LockMany is Lock for several jobs in one round trip, for a whole read
// batch: one script call per shard (see runBatch). got[i] reports whether
// locks[i] was taken. Two entries of one batch for the same job id get it
// at most once: the first wins.
func (c *Consumer) LockMany(ctx context.Context, locks []JobLock, ttl time.Duration) (got []bool, err error) {
	got, err = c.runBatch(ctx, lockManyScript, locks, ttl.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("lock %d jobs: %w", len(locks), err)
	}
	return got, nil
}

// RenewMany extends the locks this consumer holds by ttl from now, in one
// round trip (one script call per shard; on a cluster, the calls go to
// their nodes in one pipeline). held[i] reports whether locks[i] was still
// this consumer's holder's: false means it lapsed (the renewals came too
// late) and may be another's now.
func (c *Consumer) RenewMany(ctx context.Context, locks []JobLock, ttl time.Duration) (held []bool, err error) {
	held, err = c.runBatch(ctx, renewManyScript, locks, ttl.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("renew %d job locks: %w", len(locks), err)
	}
	return held, nil
}

// UnlockMany is Unlock for several jobs in one round trip.
func (c *Consumer) UnlockMany(ctx context.Context, locks []JobLock) error {
	if _, err := c.runBatch(ctx, unlockManyScript, locks, 0); err != nil {
		return fmt.Errorf("unlock %d jobs: %w", len(locks), err)
	}
	return nil
}

// runBatch runs one of the batch scripts for locks and returns its answer
// for each lock. The locks are grouped by the shard of their job id: one
// script call per shard, all in one pipeline (which a cluster client
// splits by node). A shard's lock keys share its hash tag (Keys.SameSlot,
// which EnsureGroup requires on a cluster); when they do not, on a
// cluster each lock gets a call of its own. When Redis does not know the
// script yet, it is loaded and the pipeline run again: the scripts are
// idempotent for their holders (and the extra commands of runBatchWith
// must be too: an XACK is).
func (c *Consumer) runBatch(ctx context.Context, script *redis.Script, locks []JobLock, ttlMs int64) ([]bool, error) {
	return c.runBatchWith(ctx, script, locks, ttlMs, nil)
}

// Settle acknowledges the entries acks (one XACK per lane, as AckRefs) and
// releases the job locks unlocks (as UnlockMany) in one round trip: the
// XACKs and the shards' unlock calls go in one pipeline (which a cluster
// client splits by node; every command in it is in one slot). It is how a
// batch of finished jobs is settled: one round trip instead of one for the
// acks and one for the releases. An entry and its job's lock are not in
// one call, as the lock is in the shard of the job id and the entry may be
// in another shard's lane (a job XADDed to the contract stream).
func (c *Consumer) Settle(ctx context.Context, acks []Ref, unlocks []JobLock) error {
	if len(unlocks) == 0 {
		return c.AckRefs(ctx, acks...)
	}
	var byStream map[string][]string
	if len(acks) > 0 {
		byStream = c.byStream(acks)
	}
	xacks := func(pipe redis.Pipeliner) {
		for s, ids := range byStream {
			pipe.XAck(ctx, s, c.keys.Group, ids...)
		}
	}
	if len(byStream) == 0 {
		xacks = nil
	}
	if _, err := c.runBatchWith(ctx, unlockManyScript, unlocks, 0, xacks); err != nil {
		return fmt.Errorf("ack %d entries and unlock %d jobs: %w", len(acks), len(unlocks), err)
	}
	return nil
}

// runBatchWith is runBatch with more commands in its pipeline: also, when
// set, the ones added by extra (their errors fail the call).
func (c *Consumer) runBatchWith(ctx context.Context, script *redis.Script, locks []JobLock, ttlMs int64, extra func(redis.Pipeliner)) ([]bool, error) {
	if len(locks) == 0 {
		return nil, nil
	}
	shards := c.keys.Shards()
	type group struct {
		idx  []int // into locks
		keys []string
		args []any // ttl, then the holders
	}
	var groups []*group
	byShard := make(map[int]*group, len(shards))
	for i, l := range locks {
		shard := c.keys.ShardOf(l.JobID)
		g := byShard[shard]
		if g == nil || (c.cluster && !lockTagged(shards[shard])) {
			g = &group{args: []any{ttlMs}}
			groups = append(groups, g)
			byShard[shard] = g
		}
		g.idx = append(g.idx, i)
		g.keys = append(g.keys, c.keys.Lock(l.JobID))
		g.args = append(g.args, c.holder(l.Holder))
	}
	run := func() ([]*redis.Cmd, error) {
		cmds := make([]*redis.Cmd, len(groups))
		if len(groups) == 1 && extra == nil {
			cmds[0] = script.EvalSha(ctx, c.rdb, groups[0].keys, groups[0].args...)
			return cmds, cmds[0].Err()
		}
		_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, g := range groups {
				cmds[i] = script.EvalSha(ctx, pipe, g.keys, g.args...)
			}
			if extra != nil {
				extra(pipe)
			}
			return nil
		})
		return cmds, err
	}
	cmds, err := run()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err := script.Load(ctx, c.rdb).Err(); err != nil {
			return nil, fmt.Errorf("load script: %w", err)
		}
		cmds, err = run()
	}
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(locks))
	for gi, g := range groups {
		res, err := cmds[gi].Int64Slice()
		if err != nil {
			return nil, err
		}
		if len(res) != len(g.idx) {
			return nil, fmt.Errorf("script answered %d results for %d locks", len(res), len(g.idx))
		}
		for k, i := range g.idx {
			out[i] = res[k] == 1
		}
	}
	return out, nil
}

// lockTagged reports whether the lock keys of shard k carry a hash tag, so
// that the locks of the shard share one slot on a cluster.
func lockTagged(k Keys) bool {
	_, ok := hashTag(k.LockPrefix)
	return ok
}
