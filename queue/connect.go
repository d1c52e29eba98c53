package queue

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Target is what a Redis URL names (see ParseURL): exactly one of Node,
// Cluster and Sentinel is set.
type Target struct {
	// Node is one Redis server. Connect still asks it whether it is a
	// cluster node, and if so connects to its cluster.
	Node *redis.Options
	// Cluster is a Redis Cluster given by one or more seed nodes.
	Cluster *redis.ClusterOptions
	// Sentinel is a primary that Redis Sentinel manages.
	Sentinel *redis.FailoverOptions
}

// ParseURL reads a Redis URL in one of these forms (TLS with rediss, user
// and password in the URL as usual):
//
//	redis://[user:password@]host:port[/db]            one node (or a cluster node: see Connect)
//	redis://[user:password@]host:port?addr=host2:port2&addr=host3:port3
//	                                                  a cluster (go-redis's ParseClusterURL form)
//	redis://[user:password@]host1:port1,host2:port2,host3:port3
//	                                                  a cluster given by a list of seed nodes
//	redis+sentinel://[user:password@]sentinel1:26379,sentinel2:26379/<primary name>[/db]
//	                                                  a primary managed by Redis Sentinel; the user
//	                                                  and password are the primary's, the sentinels'
//	                                                  come as ?sentinel_user=...&sentinel_password=...
//	redis://sentinel1:26379?master_name=<primary name>&addr=sentinel2:26379
//	                                                  the same, in go-redis's ParseFailoverURL form
//
// Query parameters are go-redis's (dial_timeout=3s, pool_size=..., and so
// on); errors never quote the URL, which may hold a password.
func ParseURL(raw string) (Target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, errors.New("not a URL: want redis://, rediss:// or redis+sentinel://")
	}
	switch scheme {
	case "redis+sentinel", "rediss+sentinel":
		o, err := parseSentinel(strings.TrimSuffix(scheme, "+sentinel"), rest)
		if err != nil {
			return Target{}, err
		}
		return Target{Sentinel: o}, nil
	case "redis", "rediss":
	default:
		return Target{}, fmt.Errorf("scheme %q: want redis://, rediss:// or redis+sentinel://", scheme)
	}
	auth, hosts, tail := splitAuthority(rest)
	if strings.Contains(hosts, ",") {
		seeds := strings.Split(hosts, ",")
		path, query, _ := strings.Cut(tail, "?")
		q := url.Values{}
		if query != "" {
			var err error
			if q, err = url.ParseQuery(query); err != nil {
				return Target{}, errors.New("query: not valid URL parameters")
			}
		}
		for _, s := range seeds[1:] {
			if s == "" {
				return Target{}, errors.New("empty seed node in the list")
			}
			q.Add("addr", s)
		}
		raw = scheme + "://" + auth + seeds[0] + path + "?" + q.Encode()
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, errors.New("not a valid URL")
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return Target{}, fmt.Errorf("sentinel URL: %w", scrub(err, raw))
		}
		return Target{Sentinel: o}, nil
	case q.Has("addr"):
		if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
			return Target{}, fmt.Errorf("database %s: Redis Cluster has database 0 only", db)
		}
		u.Path = ""
		cu := u.String()
		o, err := redis.ParseClusterURL(cu)
		if err != nil {
			return Target{}, fmt.Errorf("cluster URL: %w", scrub(scrub(err, cu), raw))
		}
		return Target{Cluster: o}, nil
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return Target{}, scrub(err, raw)
	}
	return Target{Node: o}, nil
}

// splitAuthority splits what follows "scheme://" into the user info (with
// its "@", or ""), the host list and the rest (path and query).
func splitAuthority(rest string) (auth, hosts, tail string) {
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		return authority[:at+1], authority[at+1:], tail
	}
	return "", authority, tail
}

func parseSentinel(scheme, rest string) (*redis.FailoverOptions, error) {
	auth, hosts, tail := splitAuthority(rest)
	path, query, _ := strings.Cut(tail, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, errors.New("sentinel URL: query is not valid URL parameters")
	}
	o := &redis.FailoverOptions{
		SentinelUsername: q.Get("sentinel_user"),
		SentinelPassword: q.Get("sentinel_password"),
	}
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			return nil, errors.New("sentinel URL: empty sentinel address")
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, "26379")
		}
		o.SentinelAddrs = append(o.SentinelAddrs, h)
	}
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	if len(parts) == 0 || len(parts) > 2 {
		return nil, errors.New("sentinel URL: want /<primary name>[/db] after the sentinels")
	}
	o.MasterName = parts[0]
	if len(parts) == 2 {
		if o.DB, err = strconv.Atoi(parts[1]); err != nil || o.DB < 0 {
			return nil, errors.New("sentinel URL: the database is not a number")
		}
	}
	if auth != "" {
		ui, err := url.Parse("x://" + auth + "x")
		if err != nil || ui.User == nil {
			return nil, errors.New("sentinel URL: bad user or password")
		}
		o.Username = ui.User.Username()
		o.Password, _ = ui.User.Password()
	}
	if scheme == "rediss" {
		host, _, _ := net.SplitHostPort(o.SentinelAddrs[0])
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	for k := range q {
		switch k {
		case "sentinel_user", "sentinel_password":
		default:
			return nil, fmt.Errorf("sentinel URL: unknown parameter %q (the redis+sentinel form takes sentinel_user and sentinel_password; use the master_name form for go-redis's options)", k)
		}
	}
	return o, nil
}

// scrub drops a go-redis parse error's quote of the URL, which may hold a
// password.
func scrub(err error, raw string) error {
	return errors.New(strings.ReplaceAll(err.Error(), raw, "<url>"))
}

// ConnectOptions tune Connect; zero fields keep go-redis's defaults.
type ConnectOptions struct {
	// PoolSize is the most connections per node. Blocking readers hold
	// one each, so give them room beside the workers.
	PoolSize int
}

// Connect connects to the Redis a URL names (see ParseURL) and checks
// that it answers:
//
//   - one node: it is pinged; when it says it is a cluster node (CLUSTER
//     INFO), Connect connects to its cluster instead, with the same user,
//     password and TLS, so a URL naming any one master of a cluster works;
//   - a cluster: at least one seed must answer, and the cluster must be
//     whole (cluster_state:ok, all 16384 slots assigned);
//   - a Sentinel-managed primary: the sentinels must name it and it must
//     answer.
//
// Errors say what is wrong in terms of the URL (never quoting it). The
// client is a *redis.Client for one node or a Sentinel primary, a
// *redis.ClusterClient for a cluster.
func Connect(ctx context.Context, rawURL string, opt ConnectOptions) (redis.UniversalClient, error) {
	t, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	switch {
	case t.Sentinel != nil:
		if opt.PoolSize > 0 {
			t.Sentinel.PoolSize = opt.PoolSize
		}
		rdb := redis.NewFailoverClient(t.Sentinel)
		if err := rdb.Ping(ctx).Err(); err != nil {
			_ = rdb.Close()
			return nil, fmt.Errorf("reach primary %q through sentinels %s: %w", t.Sentinel.MasterName, strings.Join(t.Sentinel.SentinelAddrs, ", "), err)
		}
		return rdb, nil
	case t.Cluster != nil:
		return connectCluster(ctx, t.Cluster, opt)
	}
	if opt.PoolSize > 0 {
		t.Node.PoolSize = opt.PoolSize
	}
	rdb := redis.NewClient(t.Node)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		if strings.Contains(err.Error(), "not allowed in cluster mode") {
			return nil, fmt.Errorf("Redis at %s is a cluster node, and Redis Cluster has database 0 only (the URL names database %d)", t.Node.Addr, t.Node.DB)
		}
		return nil, fmt.Errorf("reach Redis at %s: %w", t.Node.Addr, err)
	}
	info, err := rdb.ClusterInfo(ctx).Result()
	if err != nil { // "ERR This instance has cluster support disabled", or no CLUSTER command at all
		return rdb, nil
	}
	_ = rdb.Close()
	if !strings.Contains(info, "cluster_state:") {
		return nil, fmt.Errorf("Redis at %s answers CLUSTER INFO without a cluster_state", t.Node.Addr)
	}
	if t.Node.DB != 0 {
		return nil, fmt.Errorf("Redis at %s is a cluster node, and Redis Cluster has database 0 only (the URL names database %d)", t.Node.Addr, t.Node.DB)
	}
	n := t.Node
	return connectCluster(ctx, &redis.ClusterOptions{
		Addrs: []string{n.Addr}, Username: n.Username, Password: n.Password, TLSConfig: n.TLSConfig,
		ClientName: n.ClientName, Protocol: n.Protocol, Dialer: n.Dialer,
		DialTimeout: n.DialTimeout, ReadTimeout: n.ReadTimeout, WriteTimeout: n.WriteTimeout,
		MaxRetries: n.MaxRetries, MinRetryBackoff: n.MinRetryBackoff, MaxRetryBackoff: n.MaxRetryBackoff,
		PoolTimeout: n.PoolTimeout, MinIdleConns: n.MinIdleConns, MaxIdleConns: n.MaxIdleConns,
		ConnMaxIdleTime: n.ConnMaxIdleTime, ConnMaxLifetime: n.ConnMaxLifetime, PoolSize: n.PoolSize,
	}, opt)
}

func connectCluster(ctx context.Context, o *redis.ClusterOptions, opt ConnectOptions) (redis.UniversalClient, error) {
	if opt.PoolSize > 0 {
		o.PoolSize = opt.PoolSize
	}
	// Ask the seeds one by one: the first that answers tells the state of
	// the cluster; none answering is the error.
	var (
		info    string
		errs    []error
		answers string
	)
	for _, addr := range o.Addrs {
		seed := redis.NewClient(&redis.Options{
			Addr: addr, Username: o.Username, Password: o.Password, TLSConfig: o.TLSConfig,
			Dialer: o.Dialer, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			MaxRetries: -1, PoolSize: 1,
		})
		s, err := seed.ClusterInfo(ctx).Result()
		_ = seed.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("seed %s: %w", addr, err))
			continue
		}
		info, answers = s, addr
		break
	}
	if answers == "" {
		return nil, fmt.Errorf("no seed node of the cluster answers: %w", errors.Join(errs...))
	}
	if err := clusterWhole(info); err != nil {
		return nil, fmt.Errorf("Redis Cluster (asked %s): %w", answers, err)
	}
	rdb := redis.NewClusterClient(o)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("reach Redis Cluster through %s: %w", answers, err)
	}
	return rdb, nil
}

// clusterWhole checks a CLUSTER INFO reply: state ok, every slot assigned.
func clusterWhole(info string) error {
	fields := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	if fields["cluster_state"] != "ok" || fields["cluster_slots_assigned"] != "16384" || fields["cluster_slots_fail"] != "0" {
		return fmt.Errorf("not every slot is served: cluster_state:%s, %s of 16384 slots assigned, %s ok, %s failing (finish `redis-cli --cluster create` or `--cluster fix`)",
			fields["cluster_state"], fields["cluster_slots_assigned"], fields["cluster_slots_ok"], fields["cluster_slots_fail"])
	}
	return nil
}

// IsCluster reports whether rdb is a Redis Cluster client.
func IsCluster(rdb redis.UniversalClient) bool {
	_, ok := rdb.(*redis.ClusterClient)
	return ok
}
