package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// IdempotencyTTL is how long EnqueueOnce remembers a job id and the body
// it came with. After that a repeat is enqueued again, which is still safe:
// the daemon never sends a job id twice (the archive remembers for good).
const IdempotencyTTL = 24 * time.Hour

// ErrIdempotencyConflict is returned (wrapped) by EnqueueOnce when the job
// id was enqueued with a different body.
var ErrIdempotencyConflict = errors.New("the job id was used with a different job")

// Enqueued is what EnqueueOnce did.
type Enqueued struct {
	// StreamID is the stream entry of the job ("" when a repeat found the
	// first request still in progress and left it to that one).
	StreamID string
	// Repeat: the same job was enqueued before under this id; nothing new
	// was added when StreamID is the first request's entry.
	Repeat bool
}

// EnqueueOnce enqueues job, which must have an ID, at most once per id
// and body for IdempotencyTTL: a retry of the same job (same id, same
// JSON) answers with the first entry instead of adding another one, and
// the same id with a different job is refused with
// ErrIdempotencyConflict (it would never be sent: the daemon deduplicates
// by id). This is what makes POST /v1/jobs with an Idempotency-Key safe to
// retry.
//
// The record is `<stream>:idem:<id>` holding the SHA-256 of the job's JSON,
// then also its stream id once the XADD succeeded. When a repeat finds the
// hash without a stream id (the first XADD failed, or is under way), it
// adds the job again: a duplicate entry is harmless, a lost job is not.
func (p *Producer) EnqueueOnce(ctx context.Context, job outreach.Job) (Enqueued, error) {
	if job.ID == "" {
		return Enqueued{}, errors.New("enqueue once: the job has no id")
	}
	raw, err := encodeJob(job)
	if err != nil {
		return Enqueued{}, err
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	key := p.keys.Idempotency(job.ID)

	first, err := p.rdb.SetNX(ctx, key, hash, IdempotencyTTL).Result()
	if err != nil {
		return Enqueued{}, fmt.Errorf("enqueue job %q: record idempotency key: %w", job.ID, err)
	}
	res := Enqueued{Repeat: !first}
	if !first {
		prev, err := p.rdb.Get(ctx, key).Result()
		if err != nil && !errors.Is(err, redis.Nil) { // redis.Nil: it expired just now; add it again
			return Enqueued{}, fmt.Errorf("enqueue job %q: read idempotency key: %w", job.ID, err)
		}
		prevHash, streamID, _ := strings.Cut(prev, " ")
		if prev != "" && prevHash != hash {
			return Enqueued{}, fmt.Errorf("enqueue job %q: %w", job.ID, ErrIdempotencyConflict)
		}
		if streamID != "" {
			res.StreamID = streamID
			return res, nil
		}
	}
	stream := p.lane(job)
	id, err := p.rdb.XAdd(ctx, xaddArgs(stream, raw)).Result()
	if err != nil {
		if first {
			// Let a retry try afresh; if this fails too, the retry still
			// adds the job (the hash has no stream id).
			_ = p.rdb.Del(context.WithoutCancel(ctx), key).Err()
		}
		return Enqueued{}, fmt.Errorf("enqueue job on %s: %w", stream, err)
	}
	res.StreamID = id
	// KEEPTTL: the record expires IdempotencyTTL after the first request.
	if err := p.rdb.SetArgs(ctx, key, hash+" "+id, redis.SetArgs{KeepTTL: true, Mode: "XX"}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return res, nil // the job is on the stream; a repeat will add it again, harmlessly
	}
	return res, nil
}
