package outreach

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecodeJob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want Reason // "" for a valid job
	}{
		{"minimal", `{"kind":"follow_up","resident_id":"r1"}`, ""},
		{"full", `{"id":"j1","kind":"maintenance_notice","audience":{"building":"3","tags":["elderly"]},"data":{"title":"x","n":3},"template":"t","channels":["sms","email"],"send_at":"2026-12-01T09:00:00+08:00","priority":"urgent","campaign":"c"}`, ""},
		{"not JSON", `this is not JSON`, ReasonBadJSON},
		{"array", `[1,2]`, ReasonBadJSON},
		{"trailing data", `{"kind":"follow_up","resident_id":"r1"} {}`, ReasonBadJSON},
		{"typo in a field", `{"kind":"follow_up","resident":"r1"}`, ReasonBadJSON},
		{"bad send_at", `{"kind":"follow_up","resident_id":"r1","send_at":"tomorrow"}`, ReasonBadJSON},
		{"missing kind", `{"resident_id":"r1"}`, ReasonMissingKind},
		{"unknown kind", `{"kind":"tea_party","resident_id":"r1"}`, ReasonUnknownKind},
		{"nobody", `{"kind":"follow_up"}`, ReasonInvalidJob},
		{"both", `{"kind":"follow_up","resident_id":"r1","audience":{"all":true}}`, ReasonInvalidJob},
		{"empty audience", `{"kind":"follow_up","audience":{}}`, ReasonInvalidJob},
		{"bad priority", `{"kind":"follow_up","resident_id":"r1","priority":"asap"}`, ReasonInvalidJob},
		{"bad channel", `{"kind":"follow_up","resident_id":"r1","channels":["fax"]}`, ReasonInvalidJob},
		{"long id", `{"id":"` + strings.Repeat("x", 201) + `","kind":"follow_up","resident_id":"r1"}`, ReasonInvalidJob},
		{"inline resident", `{"kind":"follow_up","resident":{"id":"ext-7","name":"Olivia","email":"o@example.com","locale":"en"},"data":{"topic":"x"}}`, ""},
		{"inline resident with a phone", `{"kind":"follow_up","resident":{"id":"ext-7","name":"Olivia","phone":"+86 138 0013 8000","channels":["sms"],"opt_out_kinds":["holiday_greeting"]}}`, ""},
		{"inline resident and resident_id", `{"kind":"follow_up","resident_id":"r1","resident":{"id":"ext-7","name":"O","email":"o@example.com"}}`, ReasonInvalidJob},
		{"inline resident and audience", `{"kind":"follow_up","audience":{"all":true},"resident":{"id":"ext-7","name":"O","email":"o@example.com"}}`, ReasonInvalidJob},
		{"inline resident without id", `{"kind":"follow_up","resident":{"name":"O","email":"o@example.com"}}`, ReasonInvalidJob},
		{"inline resident with a long id", `{"kind":"follow_up","resident":{"id":"` + strings.Repeat("x", 201) + `","name":"O","email":"o@example.com"}}`, ReasonInvalidJob},
		{"inline resident without name", `{"kind":"follow_up","resident":{"id":"ext-7","email":"o@example.com"}}`, ReasonInvalidJob},
		{"inline resident without contact", `{"kind":"follow_up","resident":{"id":"ext-7","name":"O"}}`, ReasonInvalidJob},
		{"inline phone without country code", `{"kind":"follow_up","resident":{"id":"ext-7","name":"O","phone":"138 0013 8000"}}`, ReasonInvalidJob},
		{"inline unknown channel", `{"kind":"follow_up","resident":{"id":"ext-7","name":"O","email":"o@example.com","channels":["fax"]}}`, ReasonInvalidJob},
		{"inline unknown opt-out kind", `{"kind":"follow_up","resident":{"id":"ext-7","name":"O","email":"o@example.com","opt_out_kinds":["spam"]}}`, ReasonInvalidJob},
		{"inline typo in a field", `{"kind":"follow_up","resident":{"id":"ext-7","name":"O","emial":"o@example.com"}}`, ReasonBadJSON},
		{"inline resident is not an object", `{"kind":"follow_up","resident":"ext-7"}`, ReasonBadJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			job, err := DecodeJob([]byte(tt.json))
			reason, isReject := RejectReason(err)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("DecodeJob = %v, want a valid job", err)
			case tt.want != "" && (!isReject || reason != tt.want):
				t.Fatalf("DecodeJob error = %v (reason %q), want reason %q", err, reason, tt.want)
			case tt.want == "" && job.Kind == "":
				t.Fatalf("valid job lost its kind: %+v", job)
			}
		})
	}
}

func TestDecodeJobKeepsFields(t *testing.T) {
	t.Parallel()
	job, err := DecodeJob([]byte(`{"id":"j1","kind":"maintenance_notice","audience":{"building":"3"},"data":{"title":"Lift"},"channels":["sms"],"send_at":"2026-12-01T09:00:00+08:00","priority":"urgent"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	if job.ID != "j1" || job.Audience == nil || job.Audience.Building != "3" || job.Data["title"] != "Lift" ||
		len(job.Channels) != 1 || job.Channels[0] != ChannelSMS || job.SendAt == nil || !job.SendAt.Equal(want) ||
		job.EffectivePriority() != PriorityUrgent {
		t.Errorf("decoded job = %+v", job)
	}
	if (Job{}).EffectivePriority() != PriorityNormal {
		t.Error("default priority is not normal")
	}
}

func FuzzDecodeJob(f *testing.F) {
	f.Add(`{"kind":"follow_up","resident_id":"r1","data":{"topic":"x"}}`)
	f.Add(`{"kind":"maintenance_notice","audience":{"tags":["elderly"]},"send_at":"2026-12-01T09:00:00Z"}`)
	f.Add(`{"kind":`)
	f.Add(`{"kind":"maintenance_notice","resident_id":"r1","priority":"urgent","follow_up":{"kind":"satisfaction_callback","after":"24h","data":{"service":"x"}}}`)
	f.Add(`{"kind":"follow_up","resident":{"id":"ext-7","name":"O","phone":"+8613800138000","opt_out_channels":["sms"]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		job, err := DecodeJob([]byte(s))
		if err != nil {
			if _, ok := RejectReason(err); !ok {
				t.Fatalf("error %v is not a rejection", err)
			}
			return
		}
		if err := job.Validate(); err != nil {
			t.Fatalf("decoded job does not validate: %v", err)
		}
	})
}

func TestAudienceMatches(t *testing.T) {
	t.Parallel()
	r := Resident{ID: "r", Building: "3", Unit: "1201", Locale: "en", Tags: []string{"elderly", "new_resident"}}
	tests := []struct {
		a    Audience
		want bool
	}{
		{Audience{}, false},
		{Audience{All: true}, true},
		{Audience{Building: "3"}, true},
		{Audience{Building: "4"}, false},
		{Audience{Building: "3", Unit: "1201"}, true},
		{Audience{Building: "3", Unit: "1202"}, false},
		{Audience{Tags: []string{"elderly"}}, true},
		{Audience{Tags: []string{"elderly", "new_resident"}}, true},
		{Audience{Tags: []string{"elderly", "vip"}}, false},
		{Audience{Locale: "zh-CN"}, false},
	}
	for _, tt := range tests {
		if got := tt.a.Matches(r); got != tt.want {
			t.Errorf("%+v.Matches = %v, want %v", tt.a, got, tt.want)
		}
	}
}

func TestDeliveryIDIsStableAndDistinct(t *testing.T) {
	t.Parallel()
	a := DeliveryID("job", "r1", ChannelEmail)
	if a != DeliveryID("job", "r1", ChannelEmail) {
		t.Error("DeliveryID is not stable")
	}
	for _, other := range []string{DeliveryID("job", "r1", ChannelSMS), DeliveryID("job", "r2", ChannelEmail), DeliveryID("jobr", "1", ChannelEmail)} {
		if other == a {
			t.Errorf("DeliveryID collides: %s", a)
		}
	}
}

func TestSendErrorHelpers(t *testing.T) {
	t.Parallel()
	perm := fmt.Errorf("send: %w", &SendError{Permanent: true, Reason: "smtp_5xx", Code: "550", Err: errors.New("no such user")})
	temp := &SendError{Reason: "twilio_429", RetryAfter: 7 * time.Second, Err: errors.New("slow down")}
	if !IsPermanent(perm) || IsPermanent(temp) || IsPermanent(errors.New("plain")) {
		t.Error("IsPermanent misclassifies")
	}
	if FailureReason(perm) != "smtp_5xx" || FailureReason(errors.New("x")) != "other" || FailureReason(context.DeadlineExceeded) != "timeout" {
		t.Error("FailureReason misreads")
	}
	if RetryAfterHint(temp) != 7*time.Second || RetryAfterHint(perm) != 0 {
		t.Error("RetryAfterHint misreads")
	}
	if !strings.Contains(perm.Error(), "550") || !strings.Contains(perm.Error(), "no such user") {
		t.Errorf("error text lost the provider's reply: %v", perm)
	}
}

func TestOptedOut(t *testing.T) {
	t.Parallel()
	r := Resident{OptOutChannels: []Channel{ChannelSMS}, OptOutKinds: []Kind{KindHolidayGreeting}}
	for _, tt := range []struct {
		c    Channel
		k    Kind
		want bool
	}{
		{ChannelSMS, KindMaintenanceNotice, true},
		{ChannelEmail, KindHolidayGreeting, true},
		{ChannelEmail, KindMaintenanceNotice, false},
	} {
		if got := r.OptedOut(tt.c, tt.k); got != tt.want {
			t.Errorf("OptedOut(%s, %s) = %v, want %v", tt.c, tt.k, got, tt.want)
		}
	}
}
