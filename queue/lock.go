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

// LockMany is Lock for several jobs in one round trip (a pipeline), for a
// whole read batch. got[i] reports whether locks[i] was taken. Two entries
// of one batch for the same job id get it at most once: the first wins.
func (c *Consumer) LockMany(ctx context.Context, locks []JobLock, ttl time.Duration) (got []bool, err error) {
	cmds, err := c.runScripts(ctx, lockScript, locks, ttl.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("lock %d jobs: %w", len(locks), err)
	}
	got = make([]bool, len(locks))
	for i, cmd := range cmds {
		ok, err := cmd.Bool()
		if err != nil && err != redis.Nil {
			return nil, fmt.Errorf("lock job %q: %w", locks[i].JobID, err)
		}
		got[i] = ok
	}
	return got, nil
}

// RenewMany extends the locks this consumer holds by ttl from now, in one
// round trip (a pipeline; on a cluster, one per node). held[i] reports
// whether locks[i] was still this consumer's holder's: false means it
// lapsed (the renewals came too late) and may be another's now.
func (c *Consumer) RenewMany(ctx context.Context, locks []JobLock, ttl time.Duration) (held []bool, err error) {
	cmds, err := c.runScripts(ctx, renewScript, locks, ttl.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("renew %d job locks: %w", len(locks), err)
	}
	held = make([]bool, len(locks))
	for i, cmd := range cmds {
		ok, err := cmd.Bool()
		if err != nil && err != redis.Nil {
			return nil, fmt.Errorf("renew lock of job %q: %w", locks[i].JobID, err)
		}
		held[i] = ok
	}
	return held, nil
}

// UnlockMany is Unlock for several jobs in one round trip.
func (c *Consumer) UnlockMany(ctx context.Context, locks []JobLock) error {
	if _, err := c.runScripts(ctx, unlockScript, locks); err != nil {
		return fmt.Errorf("unlock %d jobs: %w", len(locks), err)
	}
	return nil
}

// runScripts runs script once per lock in one pipeline (EVALSHA; when
// Redis does not know the script yet, it loads it and runs the pipeline
// again: the scripts are idempotent for their holder).
func (c *Consumer) runScripts(ctx context.Context, script *redis.Script, locks []JobLock, args ...any) ([]*redis.Cmd, error) {
	if len(locks) == 0 {
		return nil, nil
	}
	run := func() ([]*redis.Cmd, error) {
		cmds := make([]*redis.Cmd, len(locks))
		_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, l := range locks {
				cmds[i] = script.EvalSha(ctx, pipe, []string{c.keys.Lock(l.JobID)}, append([]any{c.holder(l.Holder)}, args...)...)
			}
			return nil
		})
		if err != nil && err != redis.Nil {
			return cmds, err
		}
		return cmds, nil
	}
	cmds, err := run()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err := script.Load(ctx, c.rdb).Err(); err != nil {
			return nil, fmt.Errorf("load script: %w", err)
		}
		cmds, err = run()
	}
	return cmds, err
}
