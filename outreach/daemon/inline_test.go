package daemon_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestInlineResident: a service that owns its residents' profiles sends
// them inline with each job. The daemon validates and normalizes the
// profile, stores it (replacing the fields, keeping the opt-outs recorded
// here), and sends to it; a bad inline profile is dead-lettered as
// invalid_job and archived under its resident id.
func TestInlineResident(t *testing.T) {
	t.Parallel()
	for driver, url := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testInlineResident(t, url)
		})
	}
}

func testInlineResident(t *testing.T, databaseURL string) {
	h := newHarness(t, databaseURL, nil)
	ctx := context.Background()
	h.start()

	// First contact: the directory does not know ext-7.
	h.xadd("job", `{"id":"inline-1","kind":"follow_up","data":{"topic":"parking noise"},
		"resident":{"id":"ext-7","name":"Olivia Brown","email":"olivia@example.com","locale":"en","building":"5"}}`)
	eventually(t, "the first inline job to be sent", func() bool {
		rec := h.search(outreach.Filter{JobID: "inline-1"})
		return h.settled() && len(rec) == 1 && rec[0].Status.Final()
	})
	rec := h.search(outreach.Filter{JobID: "inline-1"})
	if rec[0].Status != outreach.StatusSent || rec[0].ResidentID != "ext-7" || rec[0].Channel != outreach.ChannelEmail ||
		rec[0].Locale != "en" || !strings.Contains(rec[0].Body, "Olivia Brown") {
		t.Errorf("archive for inline-1 = %+v, want an English email to Olivia, under resident ext-7", rec[0])
	}
	if n := len(received(h.smtp, "olivia@example.com")); n != 1 {
		t.Errorf("olivia@example.com got %d emails, want 1", n)
	}
	stored, err := h.d.Store.Resident(ctx, "ext-7")
	if err != nil || stored.Name != "Olivia Brown" || stored.Building != "5" {
		t.Fatalf("directory has ext-7 = %+v, %v; want the inline profile", stored, err)
	}

	// The resident opts out of holiday greetings through outreach (say, an
	// unsubscribe link); the service knows nothing of it.
	if err := h.d.Store.SetOptOut(ctx, "ext-7", "", outreach.KindHolidayGreeting, true); err != nil {
		t.Fatal(err)
	}
	// The service's next job carries a changed profile: a phone written
	// with spaces, no email, SMS preferred.
	h.xadd("job", `{"id":"inline-2","kind":"follow_up","data":{"topic":"parking noise"},
		"resident":{"id":"ext-7","name":"Olivia Brown-Smith","phone":"+86 138 0013 8009","locale":"en","channels":["sms"]}}`)
	// Bad inline profiles: no country code (the contract), a number that
	// is not valid (found by the full check at decode), a bad time zone.
	h.xadd("job", `{"id":"inline-bad-1","kind":"follow_up","data":{"topic":"x"},"resident":{"id":"ext-8","name":"N","phone":"138 0013 8000"}}`)
	h.xadd("job", `{"id":"inline-bad-2","kind":"follow_up","data":{"topic":"x"},"resident":{"id":"ext-8","name":"N","phone":"+86 12"}}`)
	h.xadd("job", `{"id":"inline-bad-3","kind":"follow_up","data":{"topic":"x"},"resident":{"id":"ext-8","name":"N","email":"n@example.com","time_zone":"Mars/Base"}}`)
	eventually(t, "the second inline job and the bad ones", func() bool {
		rec := h.search(outreach.Filter{JobID: "inline-2"})
		return h.settled() && len(h.deadReasons()) == 3 && len(rec) == 1 && rec[0].Status.Final()
	})

	n, bodies := h.twilio.callsTo("+8613800138009")
	if n != 1 || len(bodies) != 1 || !strings.Contains(bodies[0], "Olivia Brown-Smith") {
		t.Errorf("Twilio got %d calls %q, want one SMS to the normalized number, with the new name", n, bodies)
	}
	stored, err = h.d.Store.Resident(ctx, "ext-7")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Name != "Olivia Brown-Smith" || stored.Phone != "+8613800138009" || stored.Email != "" || stored.Building != "" ||
		!slices.Equal(stored.Channels, []outreach.Channel{outreach.ChannelSMS}) {
		t.Errorf("directory has ext-7 = %+v, want the second profile in place of the first, phone in E.164", stored)
	}
	if !slices.Equal(stored.OptOutKinds, []outreach.Kind{outreach.KindHolidayGreeting}) {
		t.Errorf("the inline profile wiped the opt-out recorded here: opt_out_kinds = %q", stored.OptOutKinds)
	}

	if got := h.deadReasons(); !slices.Equal(got, []string{"invalid_job", "invalid_job", "invalid_job"}) {
		t.Errorf("dead-letter reasons = %v, want invalid_job three times", got)
	}
	for _, id := range []string{"inline-bad-1", "inline-bad-2", "inline-bad-3"} {
		rec := h.search(outreach.Filter{JobID: id})
		if len(rec) != 1 || rec[0].ResidentID != "ext-8" || rec[0].Status != outreach.StatusFailed || !strings.Contains(rec[0].Error, "resident") {
			t.Errorf("archive for %s = %+v, want the rejection under resident ext-8", id, rec)
		}
		if strings.Contains(rec[0].Error, "0013") {
			t.Errorf("archive error for %s repeats the phone number: %q", id, rec[0].Error)
		}
	}
	if _, err := h.d.Store.Resident(ctx, "ext-8"); err == nil {
		t.Error("a rejected inline resident was stored")
	}

	// The directory now knows ext-7, so a job may address it by id.
	h.xadd("job", `{"id":"by-id","kind":"follow_up","resident_id":"ext-7","data":{"topic":"parking noise"}}`)
	eventually(t, "the job by resident_id", func() bool {
		rec := h.search(outreach.Filter{JobID: "by-id"})
		return h.settled() && len(rec) == 1 && rec[0].Status == outreach.StatusSent
	})
	if n, _ := h.twilio.callsTo("+8613800138009"); n != 2 {
		t.Errorf("Twilio got %d calls for ext-7, want 2", n)
	}
}
