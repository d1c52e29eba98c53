package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// Producer enqueues jobs in the lane of their priority: urgent jobs on
// Keys.Urgent, bulk ones on Keys.Bulk, the others on Keys.Stream; with
// shards, those of the shard of the job's id (Keys.ShardOf), so that the
// copies of one job land in one shard. It is safe for concurrent use.
type Producer struct {
	rdb  redis.UniversalClient
	keys Keys
}

// NewProducer returns a producer that writes to the lanes of keys.
func NewProducer(rdb redis.UniversalClient, keys Keys) *Producer {
	return &Producer{rdb: rdb, keys: keys}
}

// Enqueue validates job and adds it to its lane as `XADD lane * job <JSON>`.
// An invalid job is not enqueued; its error wraps the *outreach.RejectError.
//
// The client may retry an XADD whose reply was lost, so one call can add two
// entries; give the job an ID so that consumers can deduplicate.
func (p *Producer) Enqueue(ctx context.Context, job outreach.Job) (streamID string, err error) {
	raw, err := encodeJob(job)
	if err != nil {
		return "", err
	}
	stream := p.lane(job)
	id, err := p.rdb.XAdd(ctx, xaddArgs(stream, raw)).Result()
	if err != nil {
		return "", fmt.Errorf("enqueue job on %s: %w", stream, err)
	}
	return id, nil
}

// EnqueueBatch validates every job, then adds them all, each to its lane, in
// one pipeline and returns their stream ids in order. If any job is invalid nothing is
// enqueued. If Redis fails part way, the ids of the entries that were added
// are returned with the error ("" for the others), so the caller can retry
// only what failed.
func (p *Producer) EnqueueBatch(ctx context.Context, jobs []outreach.Job) ([]string, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	raws := make([][]byte, len(jobs))
	for i, job := range jobs {
		raw, err := encodeJob(job)
		if err != nil {
			return nil, fmt.Errorf("job %d of %d: %w", i, len(jobs), err)
		}
		raws[i] = raw
	}
	cmds := make([]*redis.StringCmd, len(raws))
	_, err := p.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, raw := range raws {
			cmds[i] = pipe.XAdd(ctx, xaddArgs(p.lane(jobs[i]), raw))
		}
		return nil
	})
	ids := make([]string, len(cmds))
	for i, cmd := range cmds {
		ids[i] = cmd.Val()
	}
	if err != nil {
		return ids, fmt.Errorf("enqueue %d jobs: %w", len(jobs), err)
	}
	return ids, nil
}

// lane is the stream job goes to: the lane of its priority in the shard
// of its id (Keys.ShardOf); a job without an id goes to any shard.
func (p *Producer) lane(job outreach.Job) string {
	id := job.ID
	if id == "" && len(p.keys.Shards()) > 1 {
		id = strconv.FormatUint(rand.Uint64(), 36)
	}
	return p.keys.LaneOf(id, job.EffectivePriority())
}

func xaddArgs(stream string, raw []byte) *redis.XAddArgs {
	return &redis.XAddArgs{Stream: stream, ID: "*", Values: []any{FieldJob, raw}}
}

// encodeJob validates job and encodes it as compact JSON. HTML characters are
// not escaped: the JSON is data for templates, not for a web page.
func encodeJob(job outreach.Job) ([]byte, error) {
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("validate job: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(job); err != nil {
		return nil, fmt.Errorf("encode job JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
