package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// daemon is one `outreach serve` the run started.
type daemon struct {
	index    int
	consumer string
	addr     string // its HTTP listener (/readyz)
	p        *proc
	logPath  string
	killed   bool // the run SIGKILLed it (its exit is no failure)
}

// daemonEnv is a daemon's whole environment: the run's PATH and HOME, and
// every OUTREACH_ variable set here (none inherited, so that nothing
// points a daemon at a shared Redis or database).
func (h *harness) daemonEnv(sr *scenarioRun, d *daemon) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	vars := map[string]string{
		"OUTREACH_REDIS_URL":           h.redis.url(),
		"OUTREACH_DATABASE_URL":        sr.databaseURL,
		"OUTREACH_SMTP_URL":            h.smtp.url(),
		"OUTREACH_EMAIL_FROM":          "office@chaos.invalid",
		"OUTREACH_SMTP_CONNS":          "4",
		"TWILIO_ACCOUNT_SID":           twilioSID,
		"TWILIO_AUTH_TOKEN":            twilioToken,
		"OUTREACH_SMS_FROM":            "+15005550006",
		"OUTREACH_TWILIO_API_URL":      h.twilio.url,
		"OUTREACH_SMS_RATE":            "0",
		"OUTREACH_HTTP_ADDR":           d.addr,
		"OUTREACH_STREAM":              sr.stream,
		"OUTREACH_GROUP":               "chaos",
		"OUTREACH_CONSUMER":            d.consumer,
		"OUTREACH_WORKERS":             "8",
		"OUTREACH_CLAIM_IDLE":          h.opt.ClaimIdle.String(),
		"OUTREACH_SEND_TIMEOUT":        h.opt.SendTimeout.String(),
		"OUTREACH_QUIET_HOURS":         "off",
		"OUTREACH_BULK_DAILY_CAP":      "0",
		"OUTREACH_BULK_WEEKLY_CAP":     "0",
		"OUTREACH_TIMEZONE":            "UTC",
		"OUTREACH_LOG_FORMAT":          "json",
		"OUTREACH_LOG_LEVEL":           "info",
		"OUTREACH_MAX_ATTEMPTS":        "8",
		"OUTREACH_URGENT_ALL_CHANNELS": "false",
	}
	for k, v := range vars {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// startDaemon starts daemon number i of the scenario under a new
// consumer name (a restarted daemon gets a new one, as the default
// <hostname>-<pid> does).
func (h *harness) startDaemon(sr *scenarioRun, i int) (*daemon, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	sr.started++
	d := &daemon{
		index:    i,
		consumer: fmt.Sprintf("%s-d%d-%d", sr.id, i, sr.started),
		addr:     fmt.Sprintf("127.0.0.1:%d", port),
	}
	d.logPath = filepath.Join(h.dir, d.consumer+".log")
	if d.p, err = h.procs.start(d.consumer, d.logPath, h.daemonEnv(sr, d), nil, h.opt.Binary, "serve"); err != nil {
		return nil, err
	}
	return d, nil
}

// kill SIGKILLs the daemon and waits for it to end.
func (d *daemon) kill() {
	d.killed = true
	d.p.kill()
}

// stop ends the daemon the way an orchestrator does (SIGTERM).
func (d *daemon) stop() { d.p.stop(syscall.SIGTERM, 20*time.Second) }

var readyClient = &http.Client{Timeout: 3 * time.Second}

// ready is the status of the daemon's /readyz: 0 when nothing answers.
func (d *daemon) ready(ctx context.Context) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+d.addr+"/readyz", nil)
	if err != nil {
		return 0
	}
	resp, err := readyClient.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// lastLog is the end of the daemon's log, for an error message.
func (d *daemon) lastLog() string {
	b, err := os.ReadFile(d.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], "\n")
}
