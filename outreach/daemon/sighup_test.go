//go:build unix

package daemon_test

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"
	"testing"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/dispatch"
)

// TestSIGHUPReloadsTemplates sends a real SIGHUP to the process, wired to
// the daemon as `outreach serve` wires it.
func TestSIGHUPReloadsTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const file = "follow_up/en/sms.txt.tmpl"
	writeTemplate(t, dir, file, "[Acme Homes] before: {{.Data.topic}}")
	h := newHarness(t, "sqlite://"+t.TempDir()+"/a.db", func(c *config.Config, _ *dispatch.Config) { c.TemplatesDir = dir })
	signal.Notify(h.hangup, syscall.SIGHUP)
	defer signal.Stop(h.hangup)
	if _, err := h.d.Store.UpsertResidents(context.Background(), residents); err != nil {
		t.Fatal(err)
	}
	h.start()
	const job = `{"id":%q,"kind":"follow_up","resident_id":"r-sms","data":{"topic":"lift noise"}}`
	h.xadd("job", fmt.Sprintf(job, "hup-1"))
	if got := h.sent("hup-1").Body; got != "[Acme Homes] before: lift noise" {
		t.Errorf("before SIGHUP: %q", got)
	}
	writeTemplate(t, dir, file, "[Acme Homes] after: {{.Data.topic}}")
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reload on SIGHUP", func() bool { return h.reloads("success") >= 1 })
	h.xadd("job", fmt.Sprintf(job, "hup-2"))
	if got := h.sent("hup-2").Body; got != "[Acme Homes] after: lift noise" {
		t.Errorf("after SIGHUP: %q", got)
	}
}
