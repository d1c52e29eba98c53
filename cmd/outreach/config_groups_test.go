package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsCheckOnlyWhatTheyUse: `residents list` reads the database
// only, so an email channel half set up (OUTREACH_SMTP_URL without
// OUTREACH_EMAIL_FROM) or a bad worker count does not stop it; serve,
// which uses them, refuses to start naming them.
func TestCommandsCheckOnlyWhatTheyUse(t *testing.T) {
	t.Parallel()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"OUTREACH_DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "outreach.db"),
		"OUTREACH_SMTP_URL=smtp://127.0.0.1:25",
		"OUTREACH_WORKERS=many",
	}
	for _, args := range [][]string{{"residents", "list"}, {"tokens", "list"}, {"archive", "search"}} {
		if out, errOut, code := cli(t, env, args...); code != 0 {
			t.Errorf("outreach %s: exit %d, want 0\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	_, errOut, code := cli(t, append(env, "OUTREACH_REDIS_URL=redis://127.0.0.1:1/0"), "serve")
	if code != 2 || !strings.Contains(errOut, "OUTREACH_EMAIL_FROM") || !strings.Contains(errOut, "OUTREACH_WORKERS") {
		t.Errorf("outreach serve: exit %d, want 2 with errors naming OUTREACH_EMAIL_FROM and OUTREACH_WORKERS\n%s", code, errOut)
	}
	_, errOut, code = cli(t, append(env, "OUTREACH_PHONE_REGION=CHN"), "residents", "import", "../../outreach/resident/testdata/residents.csv")
	if code != 2 || !strings.Contains(errOut, "OUTREACH_PHONE_REGION") || strings.Contains(errOut, "OUTREACH_EMAIL_FROM") {
		t.Errorf("outreach residents import with a bad region: exit %d, want 2 naming OUTREACH_PHONE_REGION only\n%s", code, errOut)
	}
}
