package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
)

func TestArchiveReplies(t *testing.T) {
	t.Parallel()
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "a.db")
	st, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []outreach.Reply{
		{ID: "SM1", Channel: outreach.ChannelSMS, From: "+8613800138000", ResidentID: "r1", JobID: "wo-1", Body: "5 很满意", ReceivedAt: time.Now().Add(-time.Hour)},
		{ID: "SM2", Channel: outreach.ChannelSMS, From: "+8613800138001", ResidentID: "r2", Body: "STOP", Action: outreach.ReplyOptOut},
	} {
		if _, err := st.RecordReply(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	env := []string{"OUTREACH_DATABASE_URL=" + dbURL}

	out, errOut, code := cli(t, env, "archive", "replies", "--resident", "r1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r outreach.Reply
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.ID != "SM1" || r.Body != "5 很满意" || r.JobID != "wo-1" {
		t.Errorf("archive replies --json = %q (%v), want r1's reply", out, err)
	}
	out, _, code = cli(t, env, "archive", "replies")
	if code != 0 || !strings.Contains(out, "opt_out") || !strings.Contains(out, "5 很满意") {
		t.Errorf("archive replies = %d %q, want both replies", code, out)
	}
}
