package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"go.uber.org/goleak"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// binary is the outreach command built once for the tests that run it as a
// separate process (signals, exit codes).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "outreach-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "outreach")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("build outreach: " + err.Error() + "\n" + string(out))
	}
	// goleak checks for leaked goroutines after the tests, before exiting.
	goleak.VerifyTestMain(removeAfter{m, dir})
}

// removeAfter runs the tests, then removes the binary's directory.
type removeAfter struct {
	m   *testing.M
	dir string
}

func (r removeAfter) Run() int {
	defer os.RemoveAll(r.dir)
	return r.m.Run()
}

func testRedisURL() string { return queuetest.RedisURL() }

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// cli runs the binary with env and returns stdout, stderr and the exit code.
func cli(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run outreach %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// TestServeFromTheCommandLine drives the binary as an operator would:
// import residents, serve, enqueue the same job twice, search the archive,
// scrape /metrics, and stop with SIGTERM.
func TestServeFromTheCommandLine(t *testing.T) {
	t.Parallel()
	smtp := emailtest.NewServer(t, emailtest.Options{})
	rdb := queuetest.Redis(t)
	stream := queuetest.Stream(t, rdb, "cli")
	httpAddr := freePort(t)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"OUTREACH_REDIS_URL=" + testRedisURL(),
		"OUTREACH_DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "outreach.db"),
		"OUTREACH_SMTP_URL=" + smtp.URL(),
		"OUTREACH_EMAIL_FROM=Property Office <office@example.com>",
		"OUTREACH_HTTP_ADDR=" + httpAddr,
		"OUTREACH_STREAM=" + stream,
		"OUTREACH_LOG_FORMAT=json",
		"OUTREACH_QUIET_HOURS=off", // the wall clock's hour must not matter here
	}

	out, errOut, code := cli(t, env, "residents", "import", "../../outreach/resident/testdata/residents.csv")
	if code != 0 || !strings.Contains(out, "added") {
		t.Fatalf("residents import: exit %d\n%s%s", code, out, errOut)
	}

	serve := exec.Command(binary, "serve")
	serve.Env = env
	var logs bytes.Buffer
	serve.Stderr = &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() { _ = serve.Process.Kill() })

	for range 2 { // the same job id twice
		out, errOut, code = cli(t, env, "enqueue", "--kind", "maintenance_notice", "--resident", "r-1004", "--id", "cli-job-1",
			"--data", "title=Lift maintenance", "--data", "area=Building 2", "--data", "start=2026-12-02T09:00:00+08:00", "--data", "end=2026-12-02T12:00:00+08:00")
		if code != 0 || !strings.Contains(out, "-") {
			t.Fatalf("enqueue: exit %d\n%s%s", code, out, errOut)
		}
	}

	var rec outreach.Delivery
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, errOut, code = cli(t, env, "archive", "search", "--job", "cli-job-1", "--json")
		if code != 0 {
			t.Fatalf("archive search: exit %d\n%s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) == 1 && lines[0] != "" {
			if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
				t.Fatalf("archive search printed %q: %v", lines[0], err)
			}
			if rec.Status == outreach.StatusSent {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never archived as sent; archive says %q; daemon log:\n%s", out, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rec.ResidentID != "r-1004" || rec.Channel != outreach.ChannelEmail || rec.Locale != "en" || !strings.Contains(rec.Body, "Emily Carter") {
		t.Errorf("archived delivery = %+v", rec)
	}

	// Wait until the group has nothing pending and nothing unread.
	for {
		groups, err := rdb.XInfoGroups(context.Background(), stream).Result()
		if err == nil && len(groups) == 1 && groups[0].Pending == 0 && groups[0].Lag == 0 {
			if n, _ := rdb.ZCard(context.Background(), stream+":delayed").Result(); n == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("entries left pending: %+v", groups)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := smtp.Received(); n != 1 {
		t.Errorf("SMTP server received %d messages for a job enqueued twice, want 1", n)
	}

	res, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(metrics, []byte(`outreach_deliveries_total{channel="email",kind="maintenance_notice",status="sent"} 1`)) {
		t.Errorf("/metrics does not count the delivery:\n%s", metrics)
	}
	if problems, err := promlint.New(bytes.NewReader(metrics)).Lint(); err != nil || len(problems) > 0 {
		t.Errorf("/metrics lint: %v %v", err, problems)
	}

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want status 0; log:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no clean-stop line in the log:\n%s", logs.String())
	}
	for _, secretish := range []string{"emily.carter@example.com", "+447911123456"} {
		if strings.Contains(logs.String(), secretish) {
			t.Errorf("log shows a resident's contact %q", secretish)
		}
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{}, "OUTREACH_REDIS_URL"},
		{[]string{"OUTREACH_REDIS_URL=redis://127.0.0.1:6379/0"}, "no channel configured"},
		{[]string{"OUTREACH_REDIS_URL=redis://127.0.0.1:6379/0", "OUTREACH_SMTP_URL=smtp://u:hunter2@h:25"}, "OUTREACH_EMAIL_FROM"},
	} {
		_, errOut, code := cli(t, tt.env, "serve")
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("serve with %v: exit %d, %q; want exit 2 naming %s", tt.env, code, errOut, tt.want)
		}
		if strings.Contains(errOut, "hunter2") {
			t.Errorf("error output shows the SMTP password: %s", errOut)
		}
	}
}

func TestEnqueueRejectsBadFlags(t *testing.T) {
	t.Parallel()
	env := []string{"OUTREACH_REDIS_URL=" + testRedisURL()}
	for _, args := range [][]string{
		{"enqueue", "--kind", "tea_party", "--resident", "r1"},
		{"enqueue", "--kind", "follow_up"},
		{"enqueue", "--kind", "follow_up", "--resident", "r1", "--data", "novalue"},
		{"enqueue", "--kind", "follow_up", "--audience", "floor=3"},
	} {
		if _, errOut, code := cli(t, env, args...); code == 0 || errOut == "" {
			t.Errorf("outreach %v: exit %d %q, want an error", args, code, errOut)
		}
	}
}
