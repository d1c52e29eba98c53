package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// redisServer is a redis-server of the run's own, on a port of its own,
// with the append-only file fsynced on every write (appendfsync always):
// what Redis acknowledged survives a SIGKILL of Redis.
type redisServer struct {
	ps   *procs
	bin  string
	dir  string
	port int
	p    *proc
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start(ctx context.Context) error {
	p, err := r.ps.start("redis", filepath.Join(r.dir, "redis.log"), os.Environ(), nil, r.bin,
		"--port", itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir, "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no", "--daemonize", "no")
	if err != nil {
		return err
	}
	r.p = p
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
	defer rdb.Close()
	return waitFor(ctx, "Redis", 20*time.Second, func() error {
		if !p.alive() {
			return fmt.Errorf("redis-server exited (%s)", filepath.Join(r.dir, "redis.log"))
		}
		// LOADING while it replays the AOF: wait for PONG.
		return rdb.Ping(ctx).Err()
	})
}

// postgresServer is a PostgreSQL cluster of the run's own: initdb in a
// temporary directory, the postgres binary on a port of its own, run as
// the postgres user when the run is root (PostgreSQL refuses root).
type postgresServer struct {
	ps      *procs
	binDir  string
	dir     string // owned by the server's user
	port    int
	cred    *syscall.Credential
	p       *proc
	logPath string
}

// findPostgres is the newest /usr/lib/postgresql/*/bin holding initdb and
// postgres, or the directory of initdb on PATH.
func findPostgres() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server found (initdb and postgres in /usr/lib/postgresql/*/bin or on PATH; apt-get install postgresql)")
}

func (pg *postgresServer) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

// initdb creates the cluster (trust authentication on loopback: it
// listens on 127.0.0.1 only and lives as long as the run).
func (pg *postgresServer) initdb(ctx context.Context, root string) error {
	pg.dir = filepath.Join(root, "postgres")
	if err := os.MkdirAll(pg.dir, 0o700); err != nil {
		return fmt.Errorf("postgres directory: %w", err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("run PostgreSQL as root: it refuses to, and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		// The server's user must reach its directory through the run's.
		if err := os.Chmod(root, 0o755); err != nil {
			return fmt.Errorf("postgres directory: %w", err)
		}
		if err := os.Chown(pg.dir, uid, gid); err != nil {
			return fmt.Errorf("postgres directory: %w", err)
		}
	}
	pg.logPath = filepath.Join(root, "postgres.log")
	p, err := pg.ps.start("initdb", pg.logPath, os.Environ(), pg.cred, filepath.Join(pg.binDir, "initdb"),
		"-D", filepath.Join(pg.dir, "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C")
	if err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.kill()
		return ctx.Err()
	}
	if p.err != nil {
		return fmt.Errorf("initdb failed (%s): %w", pg.logPath, p.err)
	}
	return nil
}

func (pg *postgresServer) start(ctx context.Context) error {
	p, err := pg.ps.start("postgres", pg.logPath, os.Environ(), pg.cred, filepath.Join(pg.binDir, "postgres"),
		"-D", filepath.Join(pg.dir, "data"), "-p", itoa(pg.port), "-k", pg.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=on")
	if err != nil {
		return err
	}
	pg.p = p
	return waitFor(ctx, "PostgreSQL", 30*time.Second, func() error {
		if !p.alive() {
			return fmt.Errorf("postgres exited (%s)", pg.logPath)
		}
		c, err := pgx.Connect(ctx, pg.url())
		if err != nil {
			return err
		}
		return c.Close(ctx)
	})
}

// stop is a fast shutdown (SIGINT): connections are cut, as in a restart.
func (pg *postgresServer) stop() { pg.p.stop(syscall.SIGINT, 30*time.Second) }
