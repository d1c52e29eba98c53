package queue_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	node := func(addr string, db int) func(*testing.T, queue.Target) {
		return func(t *testing.T, g queue.Target) {
			if g.Node == nil || g.Node.Addr != addr || g.Node.DB != db {
				t.Errorf("got %+v, want node %s db %d", g, addr, db)
			}
		}
	}
	cluster := func(user, pass string, tls bool, addrs ...string) func(*testing.T, queue.Target) {
		return func(t *testing.T, g queue.Target) {
			if g.Cluster == nil {
				t.Fatalf("got %+v, want a cluster", g)
			}
			o := g.Cluster
			if !slices.Equal(o.Addrs, addrs) || o.Username != user || o.Password != pass || (o.TLSConfig != nil) != tls {
				t.Errorf("cluster %v %q %q tls=%v, want %v %q %q tls=%v", o.Addrs, o.Username, o.Password, o.TLSConfig != nil, addrs, user, pass, tls)
			}
		}
	}
	for _, c := range []struct {
		url   string
		check func(*testing.T, queue.Target)
	}{
		{"redis://127.0.0.1:6379/2", node("127.0.0.1:6379", 2)},
		{"rediss://:pw@redis.internal:6380", node("redis.internal:6380", 0)},
		{"redis://a:7000?addr=b:7001&addr=c:7002", cluster("", "", false, "a:7000", "b:7001", "c:7002")},
		{"rediss://u:p@a:7000,b:7001,c:7002", cluster("u", "p", true, "a:7000", "b:7001", "c:7002")},
		{"redis://a:7000,b:7001/0?dial_timeout=2s", func(t *testing.T, g queue.Target) {
			cluster("", "", false, "a:7000", "b:7001")(t, g)
			if g.Cluster != nil && g.Cluster.DialTimeout != 2*time.Second {
				t.Errorf("DialTimeout = %v, want 2s", g.Cluster.DialTimeout)
			}
		}},
		{"redis+sentinel://:secret@s1:26379,s2/mymaster/3?sentinel_password=sp", func(t *testing.T, g queue.Target) {
			o := g.Sentinel
			if o == nil || o.MasterName != "mymaster" || o.DB != 3 || o.Password != "secret" || o.SentinelPassword != "sp" ||
				!slices.Equal(o.SentinelAddrs, []string{"s1:26379", "s2:26379"}) {
				t.Errorf("got %+v", o)
			}
		}},
		{"redis://s1:26379?master_name=mymaster&addr=s2:26379", func(t *testing.T, g queue.Target) {
			if g.Sentinel == nil || g.Sentinel.MasterName != "mymaster" || len(g.Sentinel.SentinelAddrs) != 2 {
				t.Errorf("got %+v", g)
			}
		}},
	} {
		t.Run(c.url, func(t *testing.T) {
			g, err := queue.ParseURL(c.url)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, g)
		})
	}
	for _, bad := range []string{
		"http://x:1", "127.0.0.1:6379", "redis://a:1,,b:2", "redis://u:hunter2@a:1?addr=b:2/5&nope=1",
		"redis://a:1,b:2/4", "redis+sentinel://s1:26379", "redis+sentinel://s1/m?pool_size=3", "redis://u:hunter2@h:1/x",
	} {
		if _, err := queue.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL(%q) error quotes the password: %v", bad, err)
		}
	}
}

func TestConnectNode(t *testing.T) {
	t.Parallel()
	if rdb := queuetest.Redis(t); rdb.Ping(t.Context()).Err() != nil {
		t.Fatal("the test Redis does not answer")
	}
	if _, err := queue.Connect(t.Context(), "redis://127.0.0.1:1/0", queue.ConnectOptions{}); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Connect to a closed port: %v, want an error naming the address", err)
	}
}

// TestConnectCluster connects to the test cluster in each URL form, and
// refuses seeds that do not answer and clusters that are not whole.
func TestConnectCluster(t *testing.T) {
	t.Parallel()
	cl := queuetest.Cluster(t)
	ctx := t.Context()
	var (
		mu      sync.Mutex
		masters []string
	)
	err := cl.ForEachMaster(ctx, func(_ context.Context, m *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		masters = append(masters, m.Options().Addr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(masters)
	for _, url := range []string{
		"redis://" + masters[0], // one node: detected as a cluster node
		"redis://" + masters[0] + "?addr=" + masters[1],
		"redis://" + strings.Join(masters, ","),
		"redis://127.0.0.1:1," + masters[1], // one seed down, another answers
	} {
		rdb, err := queue.Connect(ctx, url, queue.ConnectOptions{PoolSize: 4})
		if err != nil {
			t.Fatalf("Connect(%s): %v", url, err)
		}
		if !queue.IsCluster(rdb) {
			t.Errorf("Connect(%s) is not a cluster client", url)
		}
		// Keys on every master: no MOVED reaches the caller.
		for i := range 30 {
			if err := rdb.Set(ctx, "test:connect:"+strconv.Itoa(i), "x", time.Minute).Err(); err != nil {
				t.Fatalf("SET through %s: %v", url, err)
			}
		}
		_ = rdb.Close()
	}

	if _, err := queue.Connect(ctx, "redis://127.0.0.1:1,127.0.0.1:2", queue.ConnectOptions{}); err == nil ||
		!strings.Contains(err.Error(), "no seed node") || !strings.Contains(err.Error(), "127.0.0.1:2") {
		t.Errorf("Connect to seeds that do not answer: %v", err)
	}
	if _, err := queue.Connect(ctx, "redis://"+masters[0]+"/1", queue.ConnectOptions{}); err == nil || !strings.Contains(err.Error(), "database 0 only") {
		t.Errorf("Connect to a cluster node with database 1: %v", err)
	}
}

// TestConnectClusterNotWhole: a cluster node with slots unassigned (here
// one new node, before redis-cli --cluster create) is refused at start.
func TestConnectClusterNotWhole(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	const port = "17190"
	dir := t.TempDir()
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var err error
	for range 100 {
		_, err = queue.Connect(t.Context(), "redis://127.0.0.1:"+port, queue.ConnectOptions{})
		if err == nil || !strings.Contains(err.Error(), "reach") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil || !strings.Contains(err.Error(), "0 of 16384 slots assigned") {
		t.Errorf("Connect to a cluster without slots: %v, want the slots named", err)
	}
}

// TestConnectSentinel: a primary that Redis Sentinel manages, named by a
// redis+sentinel:// URL, on a primary and a sentinel of the test's own
// (ports 17120 and 17121).
func TestConnectSentinel(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	dir := t.TempDir()
	start := func(args ...string) {
		cmd := exec.Command("redis-server", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	start("--bind", "127.0.0.1", "--port", "17120", "--save", "", "--appendonly", "no", "--dir", dir)
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte("bind 127.0.0.1\nport 17121\nsentinel monitor primary1 127.0.0.1 17120 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start(conf, "--sentinel")

	var (
		rdb redis.UniversalClient
		err error
	)
	for range 100 {
		if rdb, err = queue.Connect(t.Context(), "redis+sentinel://127.0.0.1:17121/primary1", queue.ConnectOptions{}); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Connect through the sentinel: %v", err)
	}
	defer rdb.Close()
	if queue.IsCluster(rdb) {
		t.Error("a Sentinel primary is not a cluster")
	}
	if err := rdb.Set(t.Context(), "test:sentinel", "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	direct := redis.NewClient(&redis.Options{Addr: "127.0.0.1:17120"})
	defer direct.Close()
	if v, err := direct.Get(t.Context(), "test:sentinel").Result(); err != nil || v != "x" {
		t.Errorf("the primary has %q, %v; want the value written through the sentinel", v, err)
	}
	if _, err := queue.Connect(t.Context(), "redis+sentinel://127.0.0.1:17121/nosuch", queue.ConnectOptions{}); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("Connect to a primary the sentinel does not know: %v", err)
	}
}
