package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"time"

	"github.com/outreach-dev/outreach/outreach/email"
)

// baselineLength is the payload size smtp-source sends: about the size of
// the body of the bench's own rendered maintenance notice (text and HTML).
const baselineLength = 1500

// FindSMTPSource returns the path of Postfix's smtp-source: on PATH, or in
// /usr/sbin where Debian's postfix package puts it; "" when not found.
func FindSMTPSource() string {
	for _, name := range []string{"smtp-source", "/usr/sbin/smtp-source"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Baseline is the machine's own SMTP limit, measured by smtp-source against
// the same server the daemons send to.
type Baseline struct {
	Command  string  // the command line that ran
	Messages int     // messages sent
	Sessions int     // parallel, kept sessions (-s N -d)
	Seconds  float64 // wall time
	PerS     float64 // messages a second
	// CPUusPerMsg is the CPU time (user and system) smtp-source used per
	// message, in microseconds; smtp-sink's is not included.
	CPUusPerMsg float64
}

// runBaseline sends n messages with smtp-source over sessions kept
// connections (the way the daemon keeps its pool) to the SMTP server of
// smtpURL, and times it.
func runBaseline(ctx context.Context, path, smtpURL string, n, sessions int) (Baseline, error) {
	s, err := email.ParseURL(smtpURL)
	if err != nil {
		return Baseline{}, fmt.Errorf("baseline: %w", err)
	}
	if s.TLS != email.TLSNone || s.Username != "" {
		return Baseline{}, fmt.Errorf("baseline: smtp-source speaks plain SMTP without AUTH; %s needs tls=none and no user", s)
	}
	args := []string{
		"-s", strconv.Itoa(sessions), "-d", "-m", strconv.Itoa(n), "-l", strconv.Itoa(baselineLength),
		"-f", "office@bench.invalid", "-t", "resident@bench.invalid",
		fmt.Sprintf("%s:%d", s.Host, s.Port),
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return Baseline{}, fmt.Errorf("baseline: %s: %w: %s", path, err, bytes.TrimSpace(stderr.Bytes()))
	}
	secs := time.Since(start).Seconds()
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return Baseline{
		Command:  cmd.String(),
		Messages: n, Sessions: sessions, Seconds: secs, PerS: float64(n) / secs,
		CPUusPerMsg: float64(cpu.Microseconds()) / float64(n),
	}, nil
}
