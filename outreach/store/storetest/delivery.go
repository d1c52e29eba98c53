package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// delivery is a plausible sent email of job to resident.
func delivery(id, job, resident string) outreach.Delivery {
	sent := base.Add(time.Second)
	return outreach.Delivery{
		ID: id, JobID: job, ResidentID: resident,
		Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelEmail,
		Template: "maintenance_notice", TemplateVersion: "v1", Locale: "en",
		Subject: "Water off on Friday", Body: "Dear resident, the water is off on Friday from 9 to 12.",
		Status: outreach.StatusSent, ProviderID: "<" + id + "@outreach>", Attempts: 1,
		CreatedAt: base, UpdatedAt: sent, SentAt: &sent,
	}
}

func ptr[T any](v T) *T { return &v }

// deliveryDiff describes how got differs from want ("" when equal).
func deliveryDiff(got, want outreach.Delivery) string {
	var diffs []string
	for _, tt := range []struct {
		name      string
		got, want time.Time
	}{{"CreatedAt", got.CreatedAt, want.CreatedAt}, {"UpdatedAt", got.UpdatedAt, want.UpdatedAt}} {
		if d := timeDiff(tt.name, tt.got, tt.want); d != "" {
			diffs = append(diffs, d)
		}
	}
	for _, tt := range []struct {
		name      string
		got, want *time.Time
	}{{"SentAt", got.SentAt, want.SentAt}, {"QueuedAt", got.QueuedAt, want.QueuedAt}} {
		switch {
		case tt.got == nil && tt.want == nil:
		case tt.got == nil || tt.want == nil:
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", tt.name, tt.got, tt.want))
		default:
			if d := timeDiff(tt.name, *tt.got, *tt.want); d != "" {
				diffs = append(diffs, d)
			}
		}
	}
	got.CreatedAt, got.UpdatedAt, got.SentAt, got.QueuedAt = time.Time{}, time.Time{}, nil, nil
	want.CreatedAt, want.UpdatedAt, want.SentAt, want.QueuedAt = time.Time{}, time.Time{}, nil, nil
	if want.Estate == "" { // a delivery without an estate is the default one's
		want.Estate = outreach.DefaultEstateID
	}
	if !reflect.DeepEqual(got, want) {
		diffs = append(diffs, fmt.Sprintf("got  %#v\nwant %#v", got, want))
	}
	return strings.Join(diffs, "\n")
}

// only returns the one delivery with id, failing the test otherwise.
func only(t *testing.T, s outreach.Store, id string) outreach.Delivery {
	t.Helper()
	var found []outreach.Delivery
	for _, d := range mustSearch(t, s, outreach.Filter{Limit: 100000}) {
		if d.ID == id {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("found %d deliveries with id %q, want 1", len(found), id)
	}
	return found[0]
}

func testRecordRoundTrip(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	created := time.Date(2025, 2, 3, 4, 5, 6, 123456789, shanghai)
	full := outreach.Delivery{
		ID: "d-full", JobID: "job-1", StreamID: "1700000000000-0", ResidentID: "r-1",
		Kind: outreach.KindHolidayGreeting, Channel: outreach.ChannelSMS,
		Template: "holiday_greeting", TemplateVersion: "2025.1", Locale: "zh-CN", Variant: "elderly",
		Subject: "新春快乐", Body: "王先生，新春快乐！\n'quotes' \"and\" ; commas, too",
		Status: outreach.StatusFailed, ProviderID: "SM123", Error: "permanent failure (twilio_21610, code 21610)",
		Attempts: 3, Campaign: "spring-2025", Segments: 2, Encoding: "UCS-2", Policy: outreach.PolicyUrgentBypass,
		CreatedAt: created, UpdatedAt: created.Add(1500 * time.Microsecond), SentAt: ptr(created.Add(time.Millisecond)),
		QueuedAt: ptr(created.Add(500 * time.Microsecond)),
	}
	tests := []struct {
		name string
		in   outreach.Delivery
		want outreach.Delivery
	}{
		{"every field, times to the microsecond in UTC", full, func() outreach.Delivery {
			w := full
			w.CreatedAt, w.UpdatedAt, w.SentAt = stored(full.CreatedAt), stored(full.UpdatedAt), ptr(stored(*full.SentAt))
			w.QueuedAt = ptr(stored(*full.QueuedAt))
			return w
		}()},
		{"no channel, never sent", outreach.Delivery{
			ID: "d-min", JobID: "job-1", ResidentID: "r-2", Kind: outreach.KindFollowUp,
			Status: outreach.StatusFailed, Error: "no channel", CreatedAt: base, UpdatedAt: base,
		}, outreach.Delivery{
			ID: "d-min", JobID: "job-1", ResidentID: "r-2", Kind: outreach.KindFollowUp,
			Status: outreach.StatusFailed, Error: "no channel", CreatedAt: base, UpdatedAt: base,
		}},
		{"deferred by policy", outreach.Delivery{
			ID: "d-deferred", JobID: "job-2", ResidentID: "r-2", Kind: outreach.KindHolidayGreeting, Channel: outreach.ChannelEmail,
			Status: outreach.StatusDeferred, Policy: outreach.PolicyQuietHours, Error: "deferred until 08:00",
			CreatedAt: base, UpdatedAt: base,
		}, outreach.Delivery{
			ID: "d-deferred", JobID: "job-2", ResidentID: "r-2", Kind: outreach.KindHolidayGreeting, Channel: outreach.ChannelEmail,
			Status: outreach.StatusDeferred, Policy: outreach.PolicyQuietHours, Error: "deferred until 08:00",
			CreatedAt: base, UpdatedAt: base,
		}},
	}
	for _, tt := range tests {
		mustRecord(t, s, tt.in)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := deliveryDiff(only(t, s, tt.in.ID), tt.want); d != "" {
				t.Error(d)
			}
		})
	}

	t.Run("zero CreatedAt and UpdatedAt are set to now", func(t *testing.T) {
		before := time.Now().Truncate(time.Microsecond)
		d := delivery("d-now", "job-2", "r-3")
		d.CreatedAt, d.UpdatedAt = time.Time{}, time.Time{}
		mustRecord(t, s, d)
		after := time.Now()
		got := only(t, s, "d-now")
		for name, ts := range map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt} {
			if ts.Before(before) || ts.After(after) || ts.Location() != time.UTC {
				t.Errorf("%s = %v, want UTC between %v and %v", name, ts, before, after)
			}
		}
	})
}

func testRecordUpdates(t *testing.T, open func(t *testing.T) outreach.Store) {
	t1, t2, t3 := base.Add(time.Minute), base.Add(2*time.Minute), base.Add(3*time.Minute)
	with := func(f func(d *outreach.Delivery)) outreach.Delivery {
		d := delivery("d", "job", "r")
		f(&d)
		return d
	}
	retrying := with(func(d *outreach.Delivery) {
		d.Status, d.Error, d.ProviderID, d.Attempts, d.SentAt = outreach.StatusRetrying, "421 try later", "", 1, nil
		d.CreatedAt, d.UpdatedAt = t1, t1
	})
	sent := with(func(d *outreach.Delivery) {
		d.Status, d.Attempts, d.SentAt = outreach.StatusSent, 2, &t2
		d.CreatedAt, d.UpdatedAt, d.Subject = t2, t2, "Water off on Friday (updated)"
	})
	delivered := with(func(d *outreach.Delivery) {
		d.Status, d.Attempts, d.SentAt = outreach.StatusDelivered, 2, &t3
		d.CreatedAt, d.UpdatedAt = t3, t3
	})
	noSentAt := with(func(d *outreach.Delivery) {
		d.Status, d.SentAt, d.CreatedAt, d.UpdatedAt = outreach.StatusDelivered, nil, t3, t3
	})
	// want is what the archive holds after every step.
	want := func(last outreach.Delivery, created time.Time, sentAt *time.Time) outreach.Delivery {
		last.CreatedAt, last.SentAt = created, sentAt
		return last
	}
	tests := []struct {
		name  string
		steps [][]outreach.Delivery
		want  outreach.Delivery
	}{
		{"update replaces fields but keeps CreatedAt", [][]outreach.Delivery{{retrying}, {sent}}, want(sent, t1, &t2)},
		{"SentAt keeps its first non-nil value", [][]outreach.Delivery{{retrying}, {sent}, {delivered}}, want(delivered, t1, &t2)},
		{"a nil SentAt does not clear it", [][]outreach.Delivery{{sent}, {noSentAt}}, want(noSentAt, t2, &t2)},
		{"same id twice in one call applies in order", [][]outreach.Delivery{{retrying, sent}}, want(sent, t1, &t2)},
		{"same id three times in one call", [][]outreach.Delivery{{sent, retrying, delivered}}, want(delivered, t2, &t2)},
		{"in one call after an earlier one", [][]outreach.Delivery{{retrying}, {sent, delivered}}, want(delivered, t1, &t2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			for _, step := range tt.steps {
				mustRecord(t, s, step...)
			}
			if d := deliveryDiff(only(t, s, "d"), tt.want); d != "" {
				t.Error(d)
			}
		})
	}
}

func testRecordRejects(t *testing.T, open func(t *testing.T) outreach.Store) {
	bad := func(f func(d *outreach.Delivery)) outreach.Delivery {
		d := delivery("bad", "job", "r")
		f(&d)
		return d
	}
	tests := []struct {
		name string
		bad  outreach.Delivery
	}{
		{"empty id", bad(func(d *outreach.Delivery) { d.ID = "" })},
		{"invalid UTF-8 body", bad(func(d *outreach.Delivery) { d.Body = "caf\xe9" })},
		{"NUL in subject", bad(func(d *outreach.Delivery) { d.Subject = "a\x00b" })},
		{"negative attempts", bad(func(d *outreach.Delivery) { d.Attempts = -1 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			if err := s.Record(t.Context(), []outreach.Delivery{delivery("good", "job", "r"), tt.bad}); err == nil {
				t.Fatal("Record accepted an invalid delivery")
			}
			if got := mustSearch(t, s, outreach.Filter{}); len(got) != 0 {
				t.Errorf("a failed Record wrote %d deliveries, want none", len(got))
			}
		})
	}
}

func testRecordEmpty(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	for _, ds := range [][]outreach.Delivery{nil, {}} {
		if err := s.Record(t.Context(), ds); err != nil {
			t.Errorf("Record(%#v): %v", ds, err)
		}
	}
	if got := mustSearch(t, s, outreach.Filter{}); len(got) != 0 {
		t.Errorf("Search found %d deliveries in an empty archive", len(got))
	}
}

func testRecordBatchOf1000(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ds := make([]outreach.Delivery, 1000)
	for i := range ds {
		ds[i] = delivery(fmt.Sprintf("d%04d", i), "big-job", fmt.Sprintf("r%04d", i))
		ds[i].CreatedAt = base.Add(time.Duration(i) * time.Millisecond)
	}
	mustRecord(t, s, ds...)
	got := mustSearch(t, s, outreach.Filter{JobID: "big-job", Limit: 5000})
	if len(got) != len(ds) {
		t.Fatalf("Search found %d deliveries, want %d", len(got), len(ds))
	}
	for i, d := range got {
		want := ds[len(ds)-1-i] // newest first
		if diff := deliveryDiff(d, want); diff != "" {
			t.Fatalf("result %d: %s", i, diff)
		}
	}
	if accepted := settled(t, s, "big-job"); len(accepted) != len(ds) {
		t.Errorf("Outcomes has %d settled residents, want %d", len(accepted), len(ds))
	}
}

// testRecordConcurrent records from several goroutines at once, some of
// them updating the same deliveries, as several dispatch workers do.
func testRecordConcurrent(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	const (
		workers = 8
		calls   = 10
		batch   = 25
	)
	ctx := waitCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Go(func() {
			for c := range calls {
				ds := make([]outreach.Delivery, batch)
				for i := range ds {
					// Even indexes are this worker's own; odd ones are
					// shared by every worker.
					id := fmt.Sprintf("own-%d-%d-%d", w, c, i)
					if i%2 == 1 {
						id = fmt.Sprintf("shared-%d-%d", c, i)
					}
					ds[i] = delivery(id, "job", fmt.Sprintf("r-%s", id))
					ds[i].Attempts = w
				}
				if err := s.Record(ctx, ds); err != nil {
					errs <- fmt.Errorf("worker %d call %d: %w", w, c, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	own, shared := workers*calls*((batch+1)/2), calls*(batch/2)
	if got := mustSearch(t, s, outreach.Filter{JobID: "job", Limit: 100000}); len(got) != own+shared {
		t.Errorf("archive holds %d deliveries, want %d", len(got), own+shared)
	}
}

// settled is the set of residents whose delivery of job must not be sent
// again, as the dispatcher reads it from Outcomes: a provider took it
// (Outcome.Accepted), or the policy suppressed it for good.
func settled(t *testing.T, s outreach.Store, job string) map[string]bool {
	t.Helper()
	outs, err := s.Outcomes(t.Context(), job)
	if err != nil {
		t.Fatalf("Outcomes(%q): %v", job, err)
	}
	out := map[string]bool{}
	for _, o := range outs {
		if o.Accepted || o.Status == outreach.StatusSuppressed {
			out[o.ResidentID] = true
		}
	}
	return out
}

// testAccepted: what Outcome.Accepted says a provider took (its status,
// or a SentAt when a later report failed it).
func testAccepted(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	d := func(job, resident string, ch outreach.Channel, st outreach.Status) outreach.Delivery {
		x := delivery(outreach.DeliveryID(job, resident, ch), job, resident)
		x.Channel, x.Status = ch, st
		if !st.Accepted() {
			x.SentAt = nil // never taken by a provider
		}
		return x
	}
	// Failed by a provider's later report: it went out, so it counts.
	failedLater := d("j1", "failed-later", outreach.ChannelSMS, outreach.StatusFailed)
	failedLater.SentAt = ptr(base)
	mustRecord(t, s,
		d("j1", "sent", outreach.ChannelEmail, outreach.StatusSent),
		d("j1", "delivered", outreach.ChannelSMS, outreach.StatusDelivered),
		d("j1", "queued", outreach.ChannelSMS, outreach.StatusQueued),
		d("j1", "undelivered", outreach.ChannelSMS, outreach.StatusUndelivered),
		failedLater,
		d("j1", "retrying", outreach.ChannelEmail, outreach.StatusRetrying),
		d("j1", "failed", outreach.ChannelEmail, outreach.StatusFailed),
		d("j1", "fell-back", outreach.ChannelEmail, outreach.StatusFailed),
		d("j1", "fell-back", outreach.ChannelSMS, outreach.StatusSent),
		d("j1", "twice", outreach.ChannelEmail, outreach.StatusSent),
		d("j1", "twice", outreach.ChannelSMS, outreach.StatusDelivered),
		d("j2", "other-job", outreach.ChannelEmail, outreach.StatusSent),
		d("j1", "suppressed", "", outreach.StatusSuppressed),
		d("j1", "deferred", outreach.ChannelEmail, outreach.StatusDeferred),
	)
	tests := []struct {
		job  string
		want map[string]bool
	}{
		// Accepted by a provider, or settled by the policy (suppressed); a
		// deferred one is still to be sent.
		{"j1", map[string]bool{"sent": true, "delivered": true, "queued": true, "undelivered": true,
			"failed-later": true, "fell-back": true, "twice": true, "suppressed": true}},
		{"j2", map[string]bool{"other-job": true}},
		{"unknown", map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.job, func(t *testing.T) {
			if got := settled(t, s, tt.job); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("settled residents of %q = %#v, want %#v", tt.job, got, tt.want)
			}
		})
	}

	t.Run("a retry that succeeds becomes accepted", func(t *testing.T) {
		mustRecord(t, s, d("j1", "retrying", outreach.ChannelEmail, outreach.StatusSent))
		if got := settled(t, s, "j1"); !got["retrying"] {
			t.Errorf("settled residents of j1 = %v, want it to include the retried resident", got)
		}
	})
}

func testCanceledContext(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustUpsert(t, s, resident("r"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"Record": func() error { return s.Record(ctx, []outreach.Delivery{delivery("d", "j", "r")}) },
		"UpsertResidents": func() error {
			_, err := s.UpsertResidents(ctx, []outreach.Resident{resident("r2")})
			return err
		},
		"Residents": func() error {
			return s.Residents(ctx, outreach.Audience{All: true}, func(outreach.Resident) error { return nil })
		},
		"Search":        func() error { _, err := s.Search(ctx, outreach.Filter{}); return err },
		"Outcomes":      func() error { _, err := s.Outcomes(ctx, "j"); return err },
		"OutcomesOf":    func() error { _, err := s.OutcomesOf(ctx, []string{"j"}); return err },
		"ResidentsByID": func() error { _, err := s.ResidentsByID(ctx, []string{"r"}); return err },
		"UpdateStatus": func() error {
			_, _, err := s.UpdateStatus(ctx, outreach.StatusUpdate{ProviderID: "p", Status: outreach.StatusDelivered})
			return err
		},
		"ResidentsByPhone": func() error { _, err := s.ResidentsByPhone(ctx, "+8613800000000"); return err },
		"RecordReply": func() error {
			_, err := s.RecordReply(ctx, outreach.Reply{ID: "SM1", Channel: outreach.ChannelSMS})
			return err
		},
		"Replies": func() error { _, err := s.Replies(ctx, outreach.Filter{}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: error = %v, want context.Canceled", name, err)
		}
	}
	if got := mustSearch(t, s, outreach.Filter{}); len(got) != 0 {
		t.Errorf("Record with a canceled context wrote %d deliveries", len(got))
	}
}
