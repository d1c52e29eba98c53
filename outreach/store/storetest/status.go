package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// queuedSMS is an SMS that Twilio took and queued, with its SID.
func queuedSMS(id, sid string) outreach.Delivery {
	d := delivery(id, "job-"+id, "r-"+id)
	d.Channel, d.Status, d.ProviderID = outreach.ChannelSMS, outreach.StatusQueued, sid
	return d
}

func testUpdateStatusSequences(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	type step struct {
		status  outreach.Status
		err     string
		changed bool
	}
	tests := []struct {
		name      string
		steps     []step
		want      outreach.Status
		wantError string
	}{
		{"in order", []step{{outreach.StatusSent, "", true}, {outreach.StatusDelivered, "", true}}, outreach.StatusDelivered, ""},
		{"repeated callbacks are idempotent", []step{
			{outreach.StatusDelivered, "", true}, {outreach.StatusDelivered, "", false}, {outreach.StatusDelivered, "", false},
		}, outreach.StatusDelivered, ""},
		{"a late sent never moves delivered back", []step{
			{outreach.StatusDelivered, "", true}, {outreach.StatusSent, "", false}, {outreach.StatusQueued, "", false},
		}, outreach.StatusDelivered, ""},
		{"an outcome stays once known", []step{
			{outreach.StatusUndelivered, "twilio error 30003", true}, {outreach.StatusDelivered, "", false}, {outreach.StatusFailed, "x", false},
		}, outreach.StatusUndelivered, "twilio error 30003"},
		{"failed keeps the provider's error", []step{{outreach.StatusSent, "", true}, {outreach.StatusFailed, "twilio error 30007", true}}, outreach.StatusFailed, "twilio error 30007"},
		{"queued is no step forward from queued", []step{{outreach.StatusQueued, "", false}}, outreach.StatusQueued, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid := fmt.Sprintf("SM%032d", i)
			id := fmt.Sprintf("seq-%d", i)
			mustRecord(t, s, queuedSMS(id, sid))
			for j, st := range tt.steps {
				at := base.Add(time.Duration(j+2) * time.Second)
				d, changed, err := s.UpdateStatus(t.Context(), outreach.StatusUpdate{ProviderID: sid, Status: st.status, Error: st.err, At: at})
				if err != nil {
					t.Fatalf("step %d (%s): UpdateStatus: %v", j, st.status, err)
				}
				if changed != st.changed {
					t.Errorf("step %d (%s): changed = %v, want %v", j, st.status, changed, st.changed)
				}
				if d.ID != id {
					t.Errorf("step %d: returned delivery %q, want %q", j, d.ID, id)
				}
				if changed && !d.UpdatedAt.Equal(stored(at)) {
					t.Errorf("step %d: UpdatedAt = %v, want %v", j, d.UpdatedAt, at)
				}
			}
			got := only(t, s, id)
			if got.Status != tt.want || got.Error != tt.wantError {
				t.Errorf("after %v: status %q error %q, want %q %q", tt.steps, got.Status, got.Error, tt.want, tt.wantError)
			}
			if got.SentAt == nil || got.CreatedAt.IsZero() || got.Body == "" {
				t.Errorf("the update touched more than status, error and updated_at: %+v", got)
			}
		})
	}
}

func testUpdateStatusErrors(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustRecord(t, s, queuedSMS("known", "SMknown"))
	tests := []struct {
		name     string
		u        outreach.StatusUpdate
		notFound bool
	}{
		{"unknown provider id", outreach.StatusUpdate{ProviderID: "SMnobody", Status: outreach.StatusDelivered}, true},
		{"empty provider id", outreach.StatusUpdate{Status: outreach.StatusDelivered}, false},
		{"unknown status", outreach.StatusUpdate{ProviderID: "SMknown", Status: "read"}, false},
		{"error not UTF-8", outreach.StatusUpdate{ProviderID: "SMknown", Status: outreach.StatusFailed, Error: "\xff"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, changed, err := s.UpdateStatus(t.Context(), tt.u)
			if err == nil || changed {
				t.Fatalf("UpdateStatus(%+v) = changed %v, err %v; want an error", tt.u, changed, err)
			}
			if got := errors.Is(err, outreach.ErrNotFound); got != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", err, got, tt.notFound)
			}
		})
	}
	if got := only(t, s, "known"); got.Status != outreach.StatusQueued {
		t.Errorf("a refused update changed the delivery to %q", got.Status)
	}
}

// testUpdateStatusConcurrent: callbacks for one message race (Twilio sends
// them in parallel); whatever the order, the furthest status wins.
func testUpdateStatusConcurrent(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustRecord(t, s, queuedSMS("race", "SMrace"))
	ctx := waitCtx(t)
	statuses := []outreach.Status{outreach.StatusSent, outreach.StatusDelivered, outreach.StatusQueued, outreach.StatusSent}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changes []outreach.Status
		errs    []error
	)
	for range 5 {
		for _, st := range statuses {
			wg.Go(func() {
				_, changed, err := s.UpdateStatus(ctx, outreach.StatusUpdate{ProviderID: "SMrace", Status: st})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				if changed {
					changes = append(changes, st)
				}
			})
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("concurrent UpdateStatus: %v", errors.Join(errs...))
	}
	if got := only(t, s, "race"); got.Status != outreach.StatusDelivered {
		t.Errorf("status after racing callbacks = %q, want delivered", got.Status)
	}
	// Each status applies at most once, and only forward.
	for i := 1; i < len(changes); i++ {
		if !changes[i-1].Advances(changes[i]) {
			t.Errorf("applied updates %v: %s after %s is not forward", changes, changes[i], changes[i-1])
		}
	}
	if !slices.Contains(changes, outreach.StatusDelivered) {
		t.Errorf("applied updates %v lack delivered", changes)
	}
}

func testOutcomes(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	d := func(resident string, ch outreach.Channel, st outreach.Status, sent bool) outreach.Delivery {
		x := delivery(outreach.DeliveryID("j", resident, ch), "j", resident)
		x.Channel, x.Status = ch, st
		if !sent {
			x.SentAt = nil
		}
		return x
	}
	mustRecord(t, s,
		d("r1", outreach.ChannelEmail, outreach.StatusFailed, false),
		d("r1", outreach.ChannelSMS, outreach.StatusQueued, true),
		d("r2", outreach.ChannelEmail, outreach.StatusRetrying, false),
		d("r3", outreach.ChannelSMS, outreach.StatusFailed, true),
		d("", outreach.ChannelWeCom, outreach.StatusSent, true),
	)
	unrendered := d("r4", outreach.ChannelEmail, outreach.StatusFailed, false)
	unrendered.Template, unrendered.TemplateVersion = "", "" // a template error
	mustRecord(t, s, unrendered)
	other := d("r1", outreach.ChannelEmail, outreach.StatusSent, true)
	other.ID, other.JobID = "other", "other-job"
	mustRecord(t, s, other)

	got, err := s.Outcomes(t.Context(), "j")
	if err != nil {
		t.Fatalf("Outcomes: %v", err)
	}
	key := func(o outreach.Outcome) string { return o.ResidentID + "/" + string(o.Channel) }
	slices.SortFunc(got, func(a, b outreach.Outcome) int {
		switch {
		case key(a) < key(b):
			return -1
		case key(a) > key(b):
			return 1
		}
		return 0
	})
	want := []outreach.Outcome{
		{ResidentID: "", Channel: outreach.ChannelWeCom, Status: outreach.StatusSent, Accepted: true, Rendered: true},
		{ResidentID: "r1", Channel: outreach.ChannelEmail, Status: outreach.StatusFailed, Rendered: true},
		{ResidentID: "r1", Channel: outreach.ChannelSMS, Status: outreach.StatusQueued, Accepted: true, Rendered: true},
		{ResidentID: "r2", Channel: outreach.ChannelEmail, Status: outreach.StatusRetrying, Rendered: true},
		{ResidentID: "r3", Channel: outreach.ChannelSMS, Status: outreach.StatusFailed, Accepted: true, Rendered: true},
		{ResidentID: "r4", Channel: outreach.ChannelEmail, Status: outreach.StatusFailed},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Outcomes(j) =\n%+v\nwant\n%+v", got, want)
	}
	if got, err := s.Outcomes(t.Context(), "unknown"); err != nil || len(got) != 0 {
		t.Errorf("Outcomes(unknown) = %v, %v; want none", got, err)
	}
}
