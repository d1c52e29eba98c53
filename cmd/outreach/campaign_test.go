package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/email/emailtest"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// TestCampaignFromTheCommandLine: with two daemons serving, a campaign
// created with the CLI for building 3 reaches building 3's residents once
// each, and `campaign show --json` counts what the archive holds.
func TestCampaignFromTheCommandLine(t *testing.T) {
	t.Parallel()
	smtp := emailtest.NewServer(t, emailtest.Options{})
	stream := queuetest.Stream(t, queuetest.Redis(t), "cli")
	base := []string{
		"PATH=" + os.Getenv("PATH"),
		"OUTREACH_REDIS_URL=" + testRedisURL(),
		"OUTREACH_DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "outreach.db"),
		"OUTREACH_SMTP_URL=" + smtp.URL(),
		"OUTREACH_EMAIL_FROM=Property Office <office@example.com>",
		"OUTREACH_STREAM=" + stream,
		"OUTREACH_LOG_FORMAT=json",
		"OUTREACH_QUIET_HOURS=off", // the wall clock's hour must not matter here
	}
	if out, errOut, code := cli(t, base, "residents", "import", "../../outreach/resident/testdata/residents.csv"); code != 0 {
		t.Fatalf("residents import: exit %d\n%s%s", code, out, errOut)
	}

	var logs [2]bytes.Buffer
	for i := range 2 {
		serve := exec.Command(binary, "serve")
		serve.Env = append(slices.Clone(base), "OUTREACH_HTTP_ADDR="+freePort(t), "OUTREACH_CONSUMER=daemon-"+string(rune('a'+i)))
		serve.Stderr = &logs[i]
		if err := serve.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = serve.Process.Signal(syscall.SIGTERM)
			_ = serve.Wait()
		})
	}

	out, errOut, code := cli(t, base, "campaign", "create", "--name", "Spring Festival 2027", "--kind", "holiday_greeting",
		"--audience", "building=3", "--data", "holiday=Spring Festival")
	id := strings.TrimSpace(out)
	if code != 0 || id == "" || strings.Contains(id, "\n") {
		t.Fatalf("campaign create: exit %d, stdout %q\n%s", code, out, errOut)
	}

	var v campaign.View
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, errOut, code := cli(t, base, "campaign", "show", id, "--json")
		if code != 0 {
			t.Fatalf("campaign show: exit %d\n%s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("campaign show --json printed %q: %v", out, err)
		}
		if v.State == outreach.CampaignDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign never done: %+v\nlogs:\n%s\n%s", v, logs[0].String(), logs[1].String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Building 3: r-1006 and r-1008 by email; r-1007 has only a phone and
	// SMS is not configured, so its delivery fails.
	want := outreach.CampaignCounts{Targeted: 3, Sent: 2, Failed: 1}
	if v.Counts != want {
		t.Errorf("counts = %+v, want %+v", v.Counts, want)
	}
	out, errOut, code = cli(t, base, "archive", "search", "--campaign", id, "--json")
	if code != 0 {
		t.Fatalf("archive search: exit %d\n%s", code, errOut)
	}
	byStatus := map[outreach.Status]int64{}
	var residents []string
	for line := range strings.Lines(strings.TrimSpace(out)) {
		var d outreach.Delivery
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("archive line %q: %v", line, err)
		}
		byStatus[d.Status]++
		residents = append(residents, d.ResidentID)
	}
	slices.Sort(residents)
	if !slices.Equal(residents, []string{"r-1006", "r-1007", "r-1008"}) {
		t.Errorf("archive has deliveries to %v, want building 3's residents once each", residents)
	}
	if got := outreach.CountCampaign(v.Counts.Targeted, byStatus); got != v.Counts {
		t.Errorf("campaign show counts %+v, the archive %+v", v.Counts, got)
	}
	for _, to := range []string{"david.miller@example.com", "jack.zhou@example.com"} {
		n := 0
		for _, m := range smtp.Messages() {
			if slices.Contains(m.To, to) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s got %d messages, want 1", to, n)
		}
	}
	if n := smtp.Received(); n != 2 {
		t.Errorf("SMTP received %d messages, want 2", n)
	}
}

// TestCampaignCommands: create prints the id alone; show, list, pause,
// resume and cancel work on the store alone, and errors exit non-zero.
func TestCampaignCommands(t *testing.T) {
	t.Parallel()
	env := []string{"OUTREACH_DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "outreach.db")}
	out, errOut, code := cli(t, env, "campaign", "create", "--name", "Quarterly survey", "--kind", "satisfaction_callback",
		"--audience", "all", "--every", "0 9 1 */3 *", "--data", "service=property management", "--priority", "normal")
	id := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(id, "quarterly-survey-") || strings.Count(out, "\n") != 1 {
		t.Fatalf("campaign create: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"show", id}, 0, "every: 0 9 1 */3 *"},
		{[]string{"list"}, 0, id},
		{[]string{"pause", id}, 0, "paused"},
		{[]string{"resume", id}, 0, "scheduled"},
		{[]string{"cancel", id}, 0, "cancelled"},
		{[]string{"resume", id}, 1, ""},
		{[]string{"show", "nope"}, 1, ""},
		{[]string{"show"}, 2, ""},
		{[]string{"explode", id}, 2, ""},
		{[]string{"pause", id, "--json"}, 2, ""},
		{[]string{"create", "--name", "x", "--kind", "follow_up"}, 2, ""},                          // no audience
		{[]string{"create", "--name", "x", "--kind", "follow_up", "--audience", "floor=3"}, 2, ""}, // unknown selector
		{[]string{"create", "--name", "x", "--kind", "follow_up", "--audience", "all", "--at", "soon"}, 2, ""}, // bad time
		{[]string{"create", "--name", "x", "--kind", "follow_up", "--audience", "all", "--local-time", "09:00"}, 1, ""},
	}
	for _, s := range steps {
		out, errOut, code := cli(t, env, append([]string{"campaign"}, s.args...)...)
		if code != s.code || !strings.Contains(out, s.out) {
			t.Errorf("campaign %v: exit %d, stdout %q, stderr %q; want exit %d and %q", s.args, code, out, errOut, s.code, s.out)
		}
		if code != 0 && errOut == "" {
			t.Errorf("campaign %v: failed without a word on stderr", s.args)
		}
	}
	out, _, _ = cli(t, env, "campaign", "show", "--json", id)
	var v campaign.View
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.State != outreach.CampaignCancelled || v.Priority != outreach.PriorityNormal {
		t.Errorf("show --json = %q (%v)", out, err)
	}
}
