package outreach

import (
	"strings"
	"testing"
	"time"
)

func TestDecodeFollowUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, followUp, err string
	}{
		{"valid", `{"kind":"satisfaction_callback","after":"24h","data":{"service":"lift"}}`, ""},
		{"with overrides", `{"kind":"follow_up","after":"48h","template":"t","channels":["sms"],"priority":"normal"}`, ""},
		{"no kind", `{"after":"24h"}`, `no "kind"`},
		{"unknown kind", `{"kind":"tea_party","after":"24h"}`, "unknown kind"},
		{"no after", `{"kind":"follow_up"}`, "positive duration"},
		{"negative after", `{"kind":"follow_up","after":"-1h"}`, "positive duration"},
		{"too far", `{"kind":"follow_up","after":"2200h"}`, "longer than"},
		{"not a duration", `{"kind":"follow_up","after":"tomorrow"}`, "bad_json"},
		{"a number", `{"kind":"follow_up","after":86400}`, "bad_json"},
		{"bad channel", `{"kind":"follow_up","after":"1h","channels":["fax"]}`, "unknown channel"},
		{"bad priority", `{"kind":"follow_up","after":"1h","priority":"asap"}`, "unknown priority"},
		{"a follow-up of a follow-up", `{"kind":"follow_up","after":"1h","follow_up":{"kind":"follow_up","after":"1h"}}`, "bad_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeJob([]byte(`{"kind":"maintenance_notice","resident_id":"r1","follow_up":` + tt.followUp + `}`))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("DecodeJob: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("DecodeJob error = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestFollowUpJob(t *testing.T) {
	t.Parallel()
	sent := time.Date(2027, 2, 17, 10, 30, 15, 987654321, time.FixedZone("CST", 8*3600))
	j := Job{ID: "wo-1", Kind: KindMaintenanceNotice, Audience: &Audience{Building: "3"}, Campaign: "c",
		Data:     map[string]any{"service": "lift", "title": "Repair done"},
		FollowUp: &FollowUp{Kind: KindSatisfactionCallback, After: Duration(24 * time.Hour), Data: map[string]any{"service": "lift repair"}, Channels: []Channel{ChannelSMS}}}
	fu, ok := j.FollowUpJob("r9", sent)
	if !ok {
		t.Fatal("no follow-up")
	}
	want := time.Date(2027, 2, 18, 2, 30, 15, 0, time.UTC)
	if fu.ID != "wo-1:follow_up:r9" || fu.Kind != KindSatisfactionCallback || fu.ResidentID != "r9" || fu.Audience != nil ||
		fu.SendAt == nil || !fu.SendAt.Equal(want) || fu.FollowUp != nil || fu.Campaign != "c" || len(fu.Channels) != 1 {
		t.Errorf("follow-up = %+v (send_at %v)", fu, fu.SendAt)
	}
	if fu.Data["service"] != "lift repair" || fu.Data["title"] != "Repair done" {
		t.Errorf("follow-up data = %v, want the job's data with the follow-up's on top", fu.Data)
	}
	if j.Data["service"] != "lift" {
		t.Error("FollowUpJob changed the job's data")
	}
	if err := fu.Validate(); err != nil {
		t.Errorf("follow-up does not validate: %v", err)
	}
	if _, ok := (Job{ID: "x"}).FollowUpJob("r", sent); ok {
		t.Error("a job without follow_up has one")
	}
}

func TestBoundJobID(t *testing.T) {
	t.Parallel()
	short := "campaign:c:o:r1"
	if BoundJobID(short) != short {
		t.Error("a short id changed")
	}
	long := strings.Repeat("楼", 100) // 300 bytes
	a, b := BoundJobID(long), BoundJobID(long+"x")
	if len(a) > 200 || a == b || !strings.HasPrefix(long, a[:strings.Index(a, "~")]) {
		t.Errorf("BoundJobID(long) = %q (%d bytes)", a, len(a))
	}
	if j := (Job{ID: a, Kind: KindFollowUp, ResidentID: "r"}); j.Validate() != nil {
		t.Errorf("a bounded id does not validate: %v", j.Validate())
	}
}
