package queuetest

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/outreach-dev/outreach/queue"
)

// Proxy forwards a local port to the test Redis, so that a test can take
// Redis away from a daemon without touching the shared server: Cut makes
// the port refuse connections and drops the open ones (as a SIGKILLed
// Redis leaves them), Restore listens again on the same port.
type Proxy struct {
	// URL is the test Redis's URL with the proxy's address.
	URL string

	t        testing.TB
	addr     string
	upstream string
	mu       sync.Mutex
	ln       net.Listener
	conns    []net.Conn
}

// NewProxy starts a proxy to the test Redis (RedisURL); it is cut when
// the test ends. A test Redis of several addresses or a cluster node
// cannot be proxied: the test is skipped (it runs in the plain-Redis
// suite).
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	u, err := url.Parse(RedisURL())
	if err != nil || u.Scheme != "redis" || strings.Contains(u.Host, ",") {
		t.Skipf("the test Redis %q is not one plain node: no proxy in front of it", RedisURL())
	}
	// One address may still name a cluster node, and a cluster client
	// connects to the nodes CLUSTER SLOTS names, past the proxy.
	if queue.IsCluster(Redis(t)) {
		t.Skipf("the test Redis %q is a cluster node: its client reaches the other nodes past a proxy", RedisURL())
	}
	p := &Proxy{t: t, upstream: u.Host}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	u.Host = p.addr
	p.URL = u.String()
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

// Cut takes Redis away: new connections are refused, open ones dropped.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Restore brings Redis back on the same address.
func (p *Proxy) Restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}
