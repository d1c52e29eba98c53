package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// proc is a process the run started. It is stopped by its PID (never by
// name), and every proc still running when the run ends is stopped.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the exit, once done is closed
}

// procs are every process a run started, to stop them all on the way out.
type procs struct {
	mu  sync.Mutex
	all []*proc
}

// start runs bin with args, its output appended to logPath. cred, when
// set, runs it as another user (PostgreSQL refuses to run as root).
func (ps *procs) start(name, logPath string, env []string, cred *syscall.Credential, bin string, args ...string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	// A process group of its own: a Ctrl-C on the terminal reaches the run,
	// which stops its processes itself, in order. Pdeathsig: if the run is
	// killed, its processes do not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	ps.mu.Lock()
	ps.all = append(ps.all, p)
	ps.mu.Unlock()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig to the process (by its PID); a process that has ended
// is left alone.
func (p *proc) signal(sig syscall.Signal) error {
	if !p.alive() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s (pid %d): %w", p.name, p.pid(), err)
	}
	return nil
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill() {
	_ = p.signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to end with sig and waits up to grace, then kills
// it. A stopped (SIGSTOP) process is continued first so that it can end.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	if !p.alive() {
		return
	}
	_ = p.signal(sig)
	_ = p.signal(syscall.SIGCONT)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.kill()
	}
}

// exitCode is the process's exit status once it ended: -1 while it runs,
// the negative signal number when a signal ended it.
func (p *proc) exitCode() int {
	if p.alive() {
		return -1
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 0
}

// stopAll stops every process still running, the last started first.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	all := append([]*proc(nil), ps.all...)
	ps.mu.Unlock()
	for i := len(all) - 1; i >= 0; i-- {
		all[i].stop(syscall.SIGTERM, 10*time.Second)
	}
}

// freePort is a TCP port on 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitFor polls ok every 100ms until it returns nil or timeout passes.
func waitFor(ctx context.Context, what string, timeout time.Duration, ok func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ok()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not come up within %v: %w", what, timeout, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
