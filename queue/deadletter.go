package queue

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
)

// deadFields are the fields DeadLetter adds; an original field with one of
// these names is kept as "original_<name>".
var deadFields = []string{FieldReason, FieldError, FieldSourceID, FieldSourceStream, FieldConsumer, FieldFailedAt}

// DeadLetter moves e to the dead-letter stream (of e's shard): it adds e's fields verbatim,
// plus reason, error (cause's text, empty when cause is nil), source_id (e.ID),
// source_stream (the lane's stream), consumer and failed_at (RFC 3339, UTC),
// and acks e, both in one MULTI/EXEC.
// cause's text is stored as is: it must not carry secrets or contact details.
func (c *Consumer) DeadLetter(ctx context.Context, e Entry, reason outreach.Reason, cause error) error {
	stream := c.streamOf(e.Stream)
	values := deadValues(e, stream, reason, cause, c.opt.Name, time.Now())
	_, err := c.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: c.shard(stream).Dead, ID: "*", Values: values})
		pipe.XAck(ctx, stream, c.keys.Group, e.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("dead-letter entry %s (%s): %w", e.ID, reason, err)
	}
	return nil
}

// deadValues lists the dead-letter entry's fields: the original ones in name
// order, then the dead-letter ones.
func deadValues(e Entry, stream string, reason outreach.Reason, cause error, consumer string, now time.Time) []any {
	fields := e.Fields
	if e.HasJob && fields[FieldJob] == "" && len(e.Job) > 0 { // an Entry built by hand
		fields = maps.Clone(fields)
		if fields == nil {
			fields = map[string]string{}
		}
		fields[FieldJob] = string(e.Job)
	}
	values := make([]any, 0, 2*(len(fields)+len(deadFields)))
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		name := k
		if slices.Contains(deadFields, k) {
			name = "original_" + k
		}
		values = append(values, name, fields[k])
	}
	errText := ""
	if cause != nil {
		errText = cause.Error()
	}
	return append(values,
		FieldReason, string(reason),
		FieldError, errText,
		FieldSourceID, e.ID,
		FieldSourceStream, stream,
		FieldConsumer, consumer,
		FieldFailedAt, now.UTC().Format(time.RFC3339),
	)
}
