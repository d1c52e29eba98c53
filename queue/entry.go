package queue

import (
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
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
	FieldMember   = "member" // the raw member of a malformed delayed entry (see PromoteDue)
)

// Entry is one stream entry as read by a Consumer.
type Entry struct {
	ID      string            // stream entry id
	Job     []byte            // the raw "job" field; nil when missing
	HasJob  bool              // whether the entry has a "job" field
	Attempt int               // 0 for the first delivery from the producer; retries carry "attempt"
	Fields  map[string]string // every field as stored (for dead-lettering verbatim)
}

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

// entriesFrom converts messages, dropping the ones whose entry was deleted
// from the stream (nil values) and returning their ids apart.
func entriesFrom(msgs []redis.XMessage) (entries []Entry, deleted []string) {
	for _, m := range msgs {
		if m.Values == nil {
			deleted = append(deleted, m.ID)
			continue
		}
		entries = append(entries, entryFrom(m))
	}
	return entries, deleted
}
