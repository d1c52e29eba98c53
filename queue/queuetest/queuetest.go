// Package queuetest gives tests their Redis: the one node
// (OUTREACH_TEST_REDIS_URL, default redis://127.0.0.1:6379/0), the Redis
// Cluster (OUTREACH_TEST_REDIS_CLUSTER, which .ci/run sets), and clusters
// of a test's own for the tests that break one (StartCluster).
package queuetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/queue"
)

// RedisURL is the test Redis: OUTREACH_TEST_REDIS_URL, or the local one.
// It may name a cluster node (queue.Connect then connects to the cluster).
func RedisURL() string {
	if u := os.Getenv("OUTREACH_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// ClusterURL is the test Redis Cluster, OUTREACH_TEST_REDIS_CLUSTER: a
// URL in any form queue.ParseURL reads, or host:port seeds separated by
// commas. The test is skipped when it is not set.
func ClusterURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("OUTREACH_TEST_REDIS_CLUSTER")
	if u == "" {
		t.Skip("set OUTREACH_TEST_REDIS_CLUSTER (e.g. redis://127.0.0.1:17000,127.0.0.1:17001,127.0.0.1:17002) to test against Redis Cluster; .ci/run starts one")
	}
	if !strings.Contains(u, "://") {
		u = "redis://" + u
	}
	return u
}

// Connect connects to url with queue.Connect and closes the client when
// the test ends. A Redis that does not answer fails the test (never skips
// it: the tests that need Redis run in CI, where .ci/run starts one).
func Connect(t testing.TB, url string) redis.UniversalClient {
	t.Helper()
	return ConnectWith(t, url, queue.ConnectOptions{})
}

// ConnectWith is Connect with options (a larger pool for a test whose
// parallel subtests block on Redis).
func ConnectWith(t testing.TB, url string, opt queue.ConnectOptions) redis.UniversalClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rdb, err := queue.Connect(ctx, url, opt)
	if err != nil {
		t.Fatalf("connect to test Redis (%s; set OUTREACH_TEST_REDIS_URL): %v", url, err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Redis is the test Redis (RedisURL), connected.
func Redis(t testing.TB) redis.UniversalClient {
	t.Helper()
	return Connect(t, RedisURL())
}

// Cluster is the test Redis Cluster (ClusterURL), connected; the test is
// skipped when there is none.
func Cluster(t testing.TB) *redis.ClusterClient {
	t.Helper()
	rdb := Connect(t, ClusterURL(t))
	c, ok := rdb.(*redis.ClusterClient)
	if !ok {
		t.Fatal("OUTREACH_TEST_REDIS_CLUSTER does not name a Redis Cluster")
	}
	return c
}

// MasterOf is the address of the master that holds key, as the cluster
// says now (CLUSTER SLOTS), not as the client's cached slot map last saw
// it: right after a failover the cache still names the old master until a
// MOVED reply or its periodic reload corrects it.
func MasterOf(ctx context.Context, rdb *redis.ClusterClient, key string) (string, error) {
	slot, err := rdb.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return "", fmt.Errorf("find the slot of %s: %w", key, err)
	}
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil {
		return "", fmt.Errorf("find the master of %s: %w", key, err)
	}
	for _, r := range slots {
		if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
			return r.Nodes[0].Addr, nil
		}
	}
	return "", fmt.Errorf("find the master of %s: slot %d is not served", key, slot)
}

// LocalCluster is a Redis Cluster of a test's own: three masters with a
// replica each, on loopback ports FirstPort to FirstPort+5 (and their bus
// ports, 10000 higher), removed when the test ends.
type LocalCluster struct {
	FirstPort int
	dir       string
}

// StartCluster starts a LocalCluster on firstPort..firstPort+5 with
// redis-server and redis-cli --cluster create. Without redis-server the
// test is skipped, unless OUTREACH_TEST_REDIS_CLUSTER is set (as in CI):
// then it fails.
func StartCluster(t testing.TB, firstPort int) *LocalCluster {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("OUTREACH_TEST_REDIS_CLUSTER") != "" {
			t.Fatal("redis-server is not installed, but OUTREACH_TEST_REDIS_CLUSTER is set")
		}
		t.Skip("redis-server is not installed")
	}
	c := &LocalCluster{FirstPort: firstPort, dir: t.TempDir()}
	t.Cleanup(func() { // the nodes' own logs, when the test fails
		if !t.Failed() {
			return
		}
		for i := range 6 {
			b, _ := os.ReadFile(filepath.Join(c.dir, "redis-"+strconv.Itoa(firstPort+i)+".log"))
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("redis-server %d log (last 25 lines):\n%s", firstPort+i, strings.Join(lines[max(0, len(lines)-25):], "\n"))
		}
	})
	var addrs []string
	for i := range 6 {
		port := strconv.Itoa(firstPort + i)
		addrs = append(addrs, "127.0.0.1:"+port)
		cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port,
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(c.dir, "nodes-"+port+".conf"),
			"--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no", "--dir", c.dir,
			"--logfile", filepath.Join(c.dir, "redis-"+port+".log"))
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server on %s: %v", port, err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	ctx := context.Background()
	for _, a := range addrs {
		waitFor(t, "redis-server on "+a, func() bool {
			r := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1})
			defer r.Close()
			return r.Ping(ctx).Err() == nil
		})
	}
	out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "1", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	waitFor(t, "the cluster", func() bool { return c.ok(ctx) })
	waitFor(t, "the replicas in sync", func() bool { return c.replicasSynced(ctx) })
	return c
}

// replicasSynced reports whether every replica's link to its master is up.
func (c *LocalCluster) replicasSynced(ctx context.Context) bool {
	replicas := 0
	for i := range 6 {
		r := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(c.FirstPort+i), MaxRetries: -1})
		info, err := r.Info(ctx, "replication").Result()
		_ = r.Close()
		if err != nil {
			return false
		}
		if strings.Contains(info, "role:slave") {
			if !strings.Contains(info, "master_link_status:up") {
				return false
			}
			replicas++
		}
	}
	return replicas == 3
}

// URL is the cluster's URL, naming every node as a seed.
func (c *LocalCluster) URL() string {
	var seeds []string
	for i := range 6 {
		seeds = append(seeds, "127.0.0.1:"+strconv.Itoa(c.FirstPort+i))
	}
	return "redis://" + strings.Join(seeds, ",")
}

func (c *LocalCluster) ok(ctx context.Context) bool {
	for i := range 6 {
		r := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(c.FirstPort+i), MaxRetries: -1})
		info, err := r.ClusterInfo(ctx).Result()
		_ = r.Close()
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			return false
		}
	}
	return true
}

// Failover makes the replica of the master at masterAddr take over (CLUSTER
// FAILOVER on the replica) and waits until the replica is a master and
// every node sees the cluster whole again.
func (c *LocalCluster) Failover(t testing.TB, masterAddr string) {
	t.Helper()
	ctx := context.Background()
	m := redis.NewClient(&redis.Options{Addr: masterAddr})
	defer m.Close()
	nodes, err := m.ClusterNodes(ctx).Result()
	if err != nil {
		t.Fatalf("CLUSTER NODES on %s: %v", masterAddr, err)
	}
	var masterID, replica string
	sc := bufio.NewScanner(strings.NewReader(nodes))
	var lines [][]string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		lines = append(lines, f)
		if strings.Contains(f[2], "myself") {
			masterID = f[0]
		}
	}
	for _, f := range lines {
		if len(f) > 3 && f[3] == masterID && strings.Contains(f[2], "slave") {
			replica, _, _ = strings.Cut(f[1], "@")
		}
	}
	if replica == "" {
		t.Fatalf("no replica of %s in:\n%s", masterAddr, nodes)
	}
	r := redis.NewClient(&redis.Options{Addr: replica})
	defer r.Close()
	t.Logf("%s: CLUSTER FAILOVER on %s, replica of %s", time.Now().Format("15:04:05.000"), replica, masterAddr)
	defer func() { t.Logf("%s: %s is master, the cluster is whole", time.Now().Format("15:04:05.000"), replica) }()
	if err := r.Do(ctx, "CLUSTER", "FAILOVER").Err(); err != nil {
		t.Fatalf("CLUSTER FAILOVER on %s: %v", replica, err)
	}
	waitFor(t, replica+" as master", func() bool {
		info, err := r.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "role:master")
	})
	waitFor(t, "the cluster after the failover", func() bool { return c.ok(ctx) })
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come up within 30s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
