package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// DeadEntry is an entry of a dead-letter stream read back (see
// Consumer.DeadLetter for what it holds).
type DeadEntry struct {
	// Shard is the shard whose dead-letter stream holds it; ID its id
	// there.
	Shard int
	ID    string
	// Reason, Error, SourceID, SourceStream, Consumer and FailedAt are the
	// fields DeadLetter added.
	Reason       outreach.Reason
	Error        string
	SourceID     string
	SourceStream string
	Consumer     string
	FailedAt     time.Time
	// Job is the entry's job field ("" when it had none).
	Job string
	// Fields are the entry's other fields (attempt, original_reason, a
	// malformed delayed entry's member, ...).
	Fields map[string]string
}

// ErrNoJob is Requeue's error for a dead letter without a job field (a
// malformed delayed entry): there is nothing to put back.
var ErrNoJob = errors.New("the dead letter has no job field")

// DeadLetters lists the dead letters of every shard, newest first, at most
// n (default 50), older than the entry id before ("" for the newest).
// Entries of two shards with the same id (the same millisecond and
// sequence) sort by shard; a page boundary between them skips the second.
func (p *Producer) DeadLetters(ctx context.Context, before string, n int) ([]DeadEntry, error) {
	if n <= 0 {
		n = 50
	}
	start := "+"
	if before != "" {
		if _, _, ok := parseStreamID(before); !ok {
			return nil, fmt.Errorf("dead letters before %q: not a stream entry id", before)
		}
		start = "(" + before
	}
	var out []DeadEntry
	for i, k := range p.keys.Shards() {
		msgs, err := p.rdb.XRevRangeN(ctx, k.Dead, start, "-", int64(n)).Result()
		if err != nil {
			return nil, fmt.Errorf("read dead letters of %s: %w", k.Dead, err)
		}
		for _, m := range msgs {
			out = append(out, deadEntry(i, m))
		}
	}
	slices.SortFunc(out, func(a, b DeadEntry) int {
		if c := compareStreamIDs(b.ID, a.ID); c != 0 {
			return c
		}
		return cmp.Compare(a.Shard, b.Shard)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// DeadLetter reads one dead letter; an unknown one wraps
// outreach.ErrNotFound.
func (p *Producer) DeadLetter(ctx context.Context, shard int, id string) (DeadEntry, error) {
	k, err := p.shardKeys(shard, id)
	if err != nil {
		return DeadEntry{}, err
	}
	msgs, err := p.rdb.XRangeN(ctx, k.Dead, id, id, 1).Result()
	if err != nil {
		return DeadEntry{}, fmt.Errorf("read dead letter %s of %s: %w", id, k.Dead, err)
	}
	if len(msgs) == 0 {
		return DeadEntry{}, fmt.Errorf("dead letter %s of shard %d: %w", id, shard, outreach.ErrNotFound)
	}
	return deadEntry(shard, msgs[0]), nil
}

// requeueScript moves a dead letter back onto a lane, atomically: KEYS are
// the dead-letter stream and the lane; ARGV the dead letter's id and the
// job. It adds the job only if it deletes the dead letter: {0} when there
// was none (any more), {1, new id} when it moved.
var requeueScript = redis.NewScript(`
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return {0} end
return {1, redis.call('XADD', KEYS[2], '*', 'job', ARGV[2])}
`)

// Requeue puts a dead letter's job back on the stream once the cause is
// fixed (the estate or resident added, the template corrected): as a new
// entry, with only its job field (its attempts start again), in the lane it
// came from, and deletes the dead letter, in one script, so that two
// operators clicking at once put it back once. An unknown (or already
// re-queued) dead letter wraps outreach.ErrNotFound; one without a job
// field is ErrNoJob. It returns the new entry's id.
//
// The job keeps its identity: a job that came without an id gets the id it
// had (its first entry's, Entry.DefaultJobID), so residents whose delivery
// of it was accepted are not sent it again (Store.Outcomes).
func (p *Producer) Requeue(ctx context.Context, shard int, id string) (string, error) {
	d, err := p.DeadLetter(ctx, shard, id)
	if err != nil {
		return "", err
	}
	if d.Job == "" {
		return "", fmt.Errorf("re-queue dead letter %s of shard %d: %w", id, shard, ErrNoJob)
	}
	k := p.keys.Shards()[shard]
	lane := k.Stream
	if slices.Contains(k.Lanes(), d.SourceStream) {
		lane = d.SourceStream
	}
	job := withJobID(d.Job, Entry{ID: d.SourceID, Lane: p.keys.LaneName(lane), Shard: shard}.DefaultJobID())
	res, err := requeueScript.Run(ctx, p.rdb, []string{k.Dead, lane}, id, job).Slice()
	if err != nil {
		return "", fmt.Errorf("re-queue dead letter %s of %s: %w", id, k.Dead, err)
	}
	if code, _ := res[0].(int64); code == 0 {
		return "", fmt.Errorf("re-queue dead letter %s of shard %d: %w", id, shard, outreach.ErrNotFound)
	}
	newID, _ := res[1].(string)
	return newID, nil
}

// withJobID is the job JSON raw with id set to id when it has none; raw as
// it is when it is no JSON object (it will be dead-lettered again, for the
// same reason).
func withJobID(raw, id string) string {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil || fields == nil {
		return raw
	}
	var have string
	if v, ok := fields["id"]; ok && json.Unmarshal(v, &have) == nil && have != "" {
		return raw
	}
	fields["id"], _ = json.Marshal(id)
	out, err := json.Marshal(fields)
	if err != nil {
		return raw
	}
	return string(out)
}

// shardKeys are the keys of shard i, checking i and that id is an entry
// id.
func (p *Producer) shardKeys(i int, id string) (Keys, error) {
	shards := p.keys.Shards()
	if i < 0 || i >= len(shards) {
		return Keys{}, fmt.Errorf("dead letter of shard %d: there are %d shards: %w", i, len(shards), outreach.ErrNotFound)
	}
	if _, _, ok := parseStreamID(id); !ok {
		return Keys{}, fmt.Errorf("dead letter %q: not a stream entry id: %w", id, outreach.ErrNotFound)
	}
	return shards[i], nil
}

func deadEntry(shard int, m redis.XMessage) DeadEntry {
	d := DeadEntry{Shard: shard, ID: m.ID, Fields: map[string]string{}}
	for k, v := range m.Values {
		s, _ := v.(string)
		switch k {
		case FieldJob:
			d.Job = s
		case FieldReason:
			d.Reason = outreach.Reason(s)
		case FieldError:
			d.Error = s
		case FieldSourceID:
			d.SourceID = s
		case FieldSourceStream:
			d.SourceStream = s
		case FieldConsumer:
			d.Consumer = s
		case FieldFailedAt:
			d.FailedAt, _ = time.Parse(time.RFC3339, s)
		default:
			d.Fields[k] = s
		}
	}
	return d
}

// parseStreamID reads a stream entry id, "<ms>-<seq>".
func parseStreamID(id string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(id, "-")
	if !found {
		return 0, 0, false
	}
	var err1, err2 error
	ms, err1 = strconv.ParseUint(a, 10, 64)
	seq, err2 = strconv.ParseUint(b, 10, 64)
	return ms, seq, err1 == nil && err2 == nil
}

// compareStreamIDs orders entry ids as Redis does.
func compareStreamIDs(a, b string) int {
	am, as, _ := parseStreamID(a)
	bm, bs, _ := parseStreamID(b)
	if c := cmp.Compare(am, bm); c != 0 {
		return c
	}
	return cmp.Compare(as, bs)
}
