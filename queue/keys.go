package queue

import "strings"

// Default names used when NewKeys is given empty ones.
const (
	DefaultStream = "outreach:jobs"
	DefaultGroup  = "outreach"
)

// Keys are every Redis name the queue uses, built in one place.
type Keys struct {
	Stream  string // the job stream other services XADD to
	Group   string // the consumer group (a name inside Stream, not a key)
	Dead    string // the dead-letter stream
	Delayed string // the sorted set of retries waiting for their time
	// LockPrefix starts the keys that mark a job id as being processed
	// (see Consumer.Lock); the job id follows it.
	LockPrefix string
}

// Lock is the key that marks jobID as being processed.
func (k Keys) Lock(jobID string) string { return k.LockPrefix + jobID }

// NewKeys derives the keys from a stream and a group name; empty names take
// DefaultStream and DefaultGroup. Dead is stream+":dead" and Delayed is
// stream+":delayed", so a stream with a hash tag ("{outreach}:jobs") puts every
// key in one Redis Cluster slot.
func NewKeys(stream, group string) Keys {
	if stream == "" {
		stream = DefaultStream
	}
	if group == "" {
		group = DefaultGroup
	}
	return Keys{
		Stream:  stream,
		Group:   group,
		Dead:    stream + ":dead",
		Delayed: stream + ":delayed",
		// Lock keys carry the stream's hash tag too, but are only ever
		// used alone, so Cluster needs nothing of them.
		LockPrefix: stream + ":lock:",
	}
}

// SameSlot reports whether Stream, Dead and Delayed hash to the same Redis
// Cluster slot because they share one hash tag (the part between the first
// "{" and the next "}"), which the multi-key MULTI/EXEC and Lua calls need in
// a cluster. Without tags it is false even if the slots happen to coincide.
func (k Keys) SameSlot() bool {
	tag, ok := hashTag(k.Stream)
	if !ok {
		return false
	}
	for _, key := range []string{k.Dead, k.Delayed} {
		if t, ok := hashTag(key); !ok || t != tag {
			return false
		}
	}
	return true
}

// hashTag returns the part of key that Redis Cluster hashes when the key has
// a non-empty {tag}, following the cluster specification.
func hashTag(key string) (string, bool) {
	start := strings.IndexByte(key, '{')
	if start < 0 {
		return "", false
	}
	end := strings.IndexByte(key[start+1:], '}')
	if end <= 0 { // no "}" or an empty "{}"
		return "", false
	}
	return key[start+1 : start+1+end], true
}
