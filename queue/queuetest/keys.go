package queuetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/queue"
)

// Stream is a job stream name of the test's own, for tests that share the
// test Redis: "{test:<scope>:<test name>:<random>}:jobs". The hash tag
// keeps its lanes in one slot on a Redis Cluster; with shards
// (queue.NewShardedKeys) each shard's stream nests the same tag
// ("{test:...:<random>:0}:jobs"). Every key whose name starts with the
// tag, the stream's own and all its shards', is deleted from rdb when the
// test ends, so a test finds only what it wrote and leaves nothing behind.
func Stream(t testing.TB, rdb redis.UniversalClient, scope string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := strings.NewReplacer("{", "_", "}", "_").Replace(t.Name())
	tag := "{test:" + scope + ":" + name + ":" + hex.EncodeToString(b)
	t.Cleanup(func() { DeleteKeys(t, rdb, tag) })
	return tag + "}:jobs"
}

// Keys are queue keys of the test's own on rdb (queue.NewKeys on a Stream
// of scope), deleted when the test ends.
func Keys(t testing.TB, rdb redis.UniversalClient, scope, group string) queue.Keys {
	t.Helper()
	return queue.NewKeys(Stream(t, rdb, scope), group)
}

// DeleteKeys deletes every key on rdb whose name starts with prefix (glob
// characters in prefix match only themselves), on every master of a
// cluster. A failure fails the test.
func DeleteKeys(t testing.TB, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	pattern := strings.NewReplacer("*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(prefix) + "*"
	err := queue.ScanKeys(context.Background(), rdb, pattern, func(ctx context.Context, node redis.Cmdable, key string) error {
		return node.Del(ctx, key).Err()
	})
	if err != nil {
		t.Errorf("delete test keys %s*: %v", prefix, err)
	}
}
