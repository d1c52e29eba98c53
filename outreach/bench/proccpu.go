package bench

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat:
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// procCPU is the CPU time (user and system, all threads) process pid has
// used so far, and the time its reaped children used; ok is false when
// /proc has no such process.
func procCPU(pid int) (self, children time.Duration, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, 0, false
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, 0, 0, false
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k-3], 10, 64); return v }
	tick := time.Second / clockTicks
	return time.Duration(n(14)+n(15)) * tick, time.Duration(n(16)+n(17)) * tick, int(n(4)), true
}

// threadCPU is the CPU time the calling OS thread has used so far (the
// caller must be locked to its thread), 0 where RUSAGE_THREAD is not
// available.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// withAppName returns databaseURL with PostgreSQL's application_name set to
// name, so that the daemons' connections can be told from everyone
// else's in pg_stat_activity. Other URLs are returned as they are.
func withAppName(databaseURL, name string) string {
	if !isPostgres(databaseURL) {
		return databaseURL
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func isPostgres(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// serviceCPU follows the CPU time of the services a run uses, read from
// /proc (so only where they run on this machine):
//
//   - the PostgreSQL backends that serve the daemons' connections (found
//     by their application_name), and the server's other processes (WAL
//     writer, checkpointer, autovacuum...: shared with every other user
//     of the server);
//   - the Redis server processes the run's client talks to (their whole
//     CPU: other clients of the same server count too).
//
// Sample is called now and then during the run, so that a backend that
// ends before the run does still counts with what it had used by its last
// sample.
type serviceCPU struct {
	pg      *pgx.Conn
	appName string

	mu         sync.Mutex
	backends   map[int]cpuSpan // the daemons' backends
	postmaster int
	server     cpuSpan // the postmaster, its children and the children it reaped
	serverSeen bool
	sampled    bool // a backend first seen later started during the run
	redis      map[int]cpuSpan
	redisPIDs  []int
}

type cpuSpan struct{ first, last time.Duration }

func (s cpuSpan) used() time.Duration { return s.last - s.first }

// newServiceCPU connects to the archive (PostgreSQL only; nil pg
// otherwise) and asks Redis for its server processes.
func newServiceCPU(ctx context.Context, databaseURL, appName string, rdb redis.UniversalClient) (*serviceCPU, error) {
	s := &serviceCPU{appName: appName, backends: map[int]cpuSpan{}, redis: map[int]cpuSpan{}}
	if isPostgres(databaseURL) {
		conn, err := pgx.Connect(ctx, databaseURL)
		if err != nil {
			return nil, fmt.Errorf("measure the archive's CPU: %w", err)
		}
		s.pg = conn
	}
	pids, err := redisPIDs(ctx, rdb)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.redisPIDs = pids
	return s, nil
}

// redisPIDs are the process ids of the Redis servers rdb talks to (every
// node of a cluster), as INFO reports them.
func redisPIDs(ctx context.Context, rdb redis.UniversalClient) ([]int, error) {
	var mu sync.Mutex
	var pids []int
	add := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "server").Result()
		if err != nil {
			return fmt.Errorf("measure Redis's CPU: %w", err)
		}
		for line := range strings.SplitSeq(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
				if pid, err := strconv.Atoi(v); err == nil {
					mu.Lock()
					pids = append(pids, pid)
					mu.Unlock()
				}
			}
		}
		return nil
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		if err := c.ForEachShard(ctx, add); err != nil {
			return nil, err
		}
	case *redis.Client:
		if err := add(ctx, c); err != nil {
			return nil, err
		}
	}
	return pids, nil
}

// Sample reads the processes' CPU times now: the daemons' backends and
// Redis. The whole PostgreSQL server (a walk over /proc, which costs this
// process more) is read only by SampleServer.
func (s *serviceCPU) Sample(ctx context.Context) {
	var pids []int
	if s.pg != nil {
		rows, err := s.pg.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", s.appName)
		if err == nil {
			pids, _ = pgx.CollectRows(rows, pgx.RowTo[int])
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pid := range pids {
		used, _, ppid, ok := procCPU(pid)
		if !ok {
			continue
		}
		sp, seen := s.backends[pid]
		if !seen && !s.sampled {
			sp.first = used // there before the run: what it used before does not count
		}
		sp.last = used
		s.backends[pid] = sp
		if s.postmaster == 0 {
			s.postmaster = ppid
		}
	}
	s.sampled = true
	for _, pid := range s.redisPIDs {
		used, _, _, ok := procCPU(pid)
		if !ok {
			continue
		}
		sp, seen := s.redis[pid]
		if !seen {
			sp.first = used
		}
		sp.last = used
		s.redis[pid] = sp
	}
}

// SampleServer reads the whole PostgreSQL server's CPU time now (once its
// postmaster is known from a Sample): at the start of the run and at its
// end. Backends that end meanwhile count through the postmaster, which
// reaps them.
func (s *serviceCPU) SampleServer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.postmaster == 0 {
		return
	}
	total := s.serverTotal()
	if !s.serverSeen {
		s.server.first, s.serverSeen = total, true
	}
	s.server.last = total
}

// serverTotal is the CPU time of the postmaster, of its live children and
// of the children it reaped (ended backends).
func (s *serviceCPU) serverTotal() time.Duration {
	self, reaped, _, ok := procCPU(s.postmaster)
	if !ok {
		return 0
	}
	total := self + reaped
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if used, _, ppid, ok := procCPU(pid); ok && ppid == s.postmaster {
			total += used
		}
	}
	return total
}

// Sampling calls Sample every interval until the returned function is
// called (which takes a last Sample and SampleServer).
func (s *serviceCPU) Sampling(ctx context.Context, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.Sample(ctx)
			}
		}
	}()
	return func() {
		cancel()
		<-done
		s.Sample(context.WithoutCancel(ctx))
		s.SampleServer()
	}
}

// Used is what the processes used between the first sample and the last:
// the daemons' PostgreSQL backends, the whole PostgreSQL server, and the
// Redis servers. measured is false for what could not be read.
func (s *serviceCPU) Used() (backends, server, rds time.Duration, pgMeasured, redisMeasured bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range s.backends {
		backends += sp.used()
	}
	for _, sp := range s.redis {
		rds += sp.used()
	}
	return backends, s.server.used(), rds, len(s.backends) > 0, len(s.redis) > 0
}

// Backends is how many PostgreSQL backends served the daemons.
func (s *serviceCPU) Backends() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.backends)
}

func (s *serviceCPU) Close() {
	if s.pg != nil {
		_ = s.pg.Close(context.Background())
	}
}

// lockedCPU runs fn on a goroutine locked to an OS thread of its own and
// returns its error and the CPU time that thread used: the benchmark's own
// work (enqueueing), to tell it from the daemons'. Work the Go runtime does
// for fn elsewhere (the garbage collector's background marking, the
// network poller) is not included.
func lockedCPU(fn func() error) (time.Duration, error) {
	type out struct {
		cpu time.Duration
		err error
	}
	ch := make(chan out, 1)
	go func() {
		runtime.LockOSThread()
		// Not unlocked: the thread ends with the goroutine, its CPU time
		// with it.
		start := threadCPU()
		err := fn()
		ch <- out{threadCPU() - start, err}
	}()
	o := <-ch
	return o.cpu, o.err
}
