package queue

import (
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// Field names of stream entries. FieldJob is the contract with other
// services; the others are written by this package.
const (
	FieldJob     = "job"      // the job JSON
	FieldAttempt = "attempt"  // retry number, set on entries promoted from the delayed set
	FieldRetryOf = "retry_of" // the stream id of the entry a retry was scheduled from

	// Dead-letter fields, added to the entry's own fields.
	FieldReason   = "reason"
	FieldError    = "error"
	FieldSourceID = "source_id"
	FieldConsumer = "consumer"
	FieldFailedAt = "failed_at"
	// FieldSourceStream is the lane (stream) a dead-lettered entry was in.
	FieldSourceStream = "source_stream"
	FieldMember       = "member" // the raw member of a malformed delayed entry (see PromoteDue)
)

// Entry is one stream entry as read by a Consumer.
type Entry struct {
	ID      string // stream entry id, unique within its stream
	Stream  string // the lane's stream it was read from; "" means Keys.Stream
	Lane    string // the lane's name: "urgent", "normal" or "bulk"
	Shard   int    // the shard of that lane (0 without shards)
	Job     []byte // the raw "job" field; nil when missing
	HasJob  bool   // whether the entry has a "job" field
	Attempt int    // 0 for the first delivery from the producer; retries carry "attempt"
	// Deliveries is how many times Redis has handed this entry to a
	// consumer of the group, this time included: the read counts 1 and
	// every claim (XAUTOCLAIM) 1 more. Set by Claim only; 0 elsewhere.
	// It is not Attempt: a retry is a new entry and starts again at 1.
	Deliveries int
	Fields     map[string]string // every field as stored (for dead-lettering verbatim)

	read uint64 // which read of the consumer returned it (see Holder)
}

// Holder names this delivery of the entry as a holder for Consumer.Lock:
// its id and the read that returned it. An entry can reach one consumer
// twice: a read replayed on the new master after a failover (Redis
// replicates asynchronously, and the old master's last writes can be
// lost), or a claim of its own entry. The two deliveries then do not share
// a lock the way two calls for one delivery do, so the job id lock still
// lets one of them through at a time.
func (e Entry) Holder() string { return e.ID + "#" + strconv.FormatUint(e.read, 36) }

// Ref names the entry for Consumer.AckRefs.
func (e Entry) Ref() Ref { return Ref{Stream: e.Stream, ID: e.ID} }

// DefaultJobID is the id of a job that came without one: the entry id,
// prefixed with the lane's name outside the normal lane and with the shard
// outside shard 0 ("shard3:urgent:<id>"): stream ids are unique per stream
// only, and every shard's lanes are three streams.
func (e Entry) DefaultJobID() string {
	id := e.ID
	if e.Lane != "" && e.Lane != string(outreach.PriorityNormal) {
		id = e.Lane + ":" + id
	}
	if e.Shard > 0 {
		id = "shard" + strconv.Itoa(e.Shard) + ":" + id
	}
	return id
}

// Ref names one stream entry: its stream and its id. An empty Stream
// means Keys.Stream.
type Ref struct{ Stream, ID string }

// entryFrom converts a go-redis message. A malformed or negative "attempt"
// (written by someone else) counts as 0; it is kept verbatim in Fields.
func entryFrom(m redis.XMessage) Entry {
	e := Entry{ID: m.ID, Fields: make(map[string]string, len(m.Values))}
	for k, v := range m.Values {
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		e.Fields[k] = s
	}
	if job, ok := e.Fields[FieldJob]; ok {
		e.Job, e.HasJob = []byte(job), true
	}
	if a, err := strconv.Atoi(e.Fields[FieldAttempt]); err == nil && a > 0 {
		e.Attempt = a
	}
	return e
}
