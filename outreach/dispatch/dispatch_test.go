package dispatch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

type nopSender struct{ ch outreach.Channel }

func (s nopSender) Channel() outreach.Channel { return s.ch }
func (s nopSender) Send(context.Context, outreach.Message) (outreach.Receipt, error) {
	return outreach.Receipt{}, nil
}
func (s nopSender) Close() error { return nil }

func TestRoute(t *testing.T) {
	t.Parallel()
	both := map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: nopSender{}, outreach.ChannelSMS: nopSender{}}
	emailOnly := map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: nopSender{}}
	full := outreach.Resident{Email: "a@example.com", Phone: "+8613800138000"}
	tests := []struct {
		name    string
		job     []outreach.Channel
		r       outreach.Resident
		senders map[outreach.Channel]outreach.Sender
		want    outreach.Channel
		wantErr string
	}{
		{"default order", nil, full, both, outreach.ChannelEmail, ""},
		{"resident prefers sms", nil, outreach.Resident{Email: "a@example.com", Phone: "+86138", Channels: []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail}}, both, outreach.ChannelSMS, ""},
		{"job overrides resident", []outreach.Channel{outreach.ChannelEmail}, outreach.Resident{Email: "a@example.com", Phone: "+86138", Channels: []outreach.Channel{outreach.ChannelSMS}}, both, outreach.ChannelEmail, ""},
		{"skip channel without contact", nil, outreach.Resident{Phone: "+86138"}, both, outreach.ChannelSMS, ""},
		{"skip unconfigured channel", []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail}, full, emailOnly, outreach.ChannelEmail, ""},
		{"no contact for allowed channel", []outreach.Channel{outreach.ChannelEmail}, outreach.Resident{Phone: "+86138"}, both, "", "email: resident has no contact"},
		{"channel not configured", []outreach.Channel{outreach.ChannelSMS}, full, emailOnly, "", "sms: channel not configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := route(outreach.Job{Channels: tt.job}, tt.r, tt.senders)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("route error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("route = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	b := ExponentialBackoff(time.Second, 10*time.Second)
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 20: 10 * time.Second} {
		got := b(attempt, 0)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("attempt %d: %v, want %v ±20%%", attempt, got, want)
		}
	}
	if got := b(1, time.Minute); got != time.Minute {
		t.Errorf("a longer Retry-After must win: got %v", got)
	}
}

func TestEntryTime(t *testing.T) {
	t.Parallel()
	got, ok := entryTime("1795982938914-1")
	if !ok || got.UnixMilli() != 1795982938914 {
		t.Errorf("entryTime = %v, %v", got, ok)
	}
	for _, bad := range []string{"", "x-1", "123"} {
		if _, ok := entryTime(bad); ok {
			t.Errorf("entryTime(%q) accepted", bad)
		}
	}
}

func TestLooseJobReadsWhatItCan(t *testing.T) {
	t.Parallel()
	j := looseJob([]byte(`{"id":"j1","kind":"tea_party","resident_id":"r1","campaign":"c","data":7}`))
	if j.ID != "j1" || j.Kind != "tea_party" || j.ResidentID != "r1" || j.Campaign != "c" {
		t.Errorf("looseJob = %+v", j)
	}
	if j := looseJob([]byte(`not json`)); j.ID != "" || j.Kind != "" {
		t.Errorf("looseJob of garbage = %+v", j)
	}
	if j := looseJob([]byte(`{"id":42,"kind":["x"]}`)); j.ID != "" || j.Kind != "" {
		t.Errorf("looseJob kept non-string fields: %+v", j)
	}
}

// recordFunc is a Store whose Record is a function; the rest is unused.
type recordFunc func(ctx context.Context, ds []outreach.Delivery) error

func (f recordFunc) Record(ctx context.Context, ds []outreach.Delivery) error { return f(ctx, ds) }
func (recordFunc) UpsertResidents(context.Context, []outreach.Resident) (outreach.ImportResult, error) {
	panic("unused")
}
func (recordFunc) Resident(context.Context, string) (outreach.Resident, error) { panic("unused") }
func (recordFunc) Residents(context.Context, outreach.Audience, func(outreach.Resident) error) error {
	panic("unused")
}
func (recordFunc) ListResidents(context.Context, outreach.ResidentFilter) ([]outreach.Resident, error) {
	panic("unused")
}
func (recordFunc) UpdateResident(context.Context, string, func(*outreach.Resident) error) (outreach.Resident, error) {
	panic("unused")
}
func (recordFunc) SetOptOut(context.Context, string, outreach.Channel, outreach.Kind, bool) error {
	panic("unused")
}
func (recordFunc) Accepted(context.Context, string) (map[string]bool, error) { panic("unused") }
func (recordFunc) Search(context.Context, outreach.Filter) ([]outreach.Delivery, error) {
	panic("unused")
}
func (recordFunc) Walk(context.Context, outreach.Filter, func(outreach.Delivery) error) error {
	panic("unused")
}
func (recordFunc) DeleteDeliveries(context.Context, outreach.Filter) (int64, error) { panic("unused") }
func (recordFunc) DeleteResidents(context.Context, []string) (int64, error)         { panic("unused") }
func (recordFunc) Ping(context.Context) error                                       { return nil }
func (recordFunc) Close() error                                                     { return nil }

// TestRecorderGroupsConcurrentWrites: deliveries handed over while a write
// is in progress go out together in the next write.
func TestRecorderGroupsConcurrentWrites(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var batches []int
	release := make(chan struct{})
	first := true
	store := recordFunc(func(_ context.Context, ds []outreach.Delivery) error {
		mu.Lock()
		batches = append(batches, len(ds))
		wait := first
		first = false
		mu.Unlock()
		if wait {
			<-release // hold the first write until the others have queued
		}
		return nil
	})
	r := newRecorder(store, slog.New(slog.NewTextHandler(io.Discard, nil)), 100)
	go r.run()
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Record(t.Context(), outreach.Delivery{ID: "first"}) })
	for len(r.in) > 0 || func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 0 }() {
		time.Sleep(time.Millisecond)
	}
	for i := range 10 {
		wg.Go(func() { _ = r.Record(t.Context(), outreach.Delivery{ID: string(rune('a' + i))}) })
	}
	for len(r.in) < 10 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	r.close()
	if len(batches) != 2 || batches[0] != 1 || batches[1] != 10 {
		t.Errorf("write batches = %v, want [1 10]", batches)
	}
}

func TestRecorderReportsFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	calls := 0
	r := newRecorder(recordFunc(func(context.Context, []outreach.Delivery) error { calls++; return boom }),
		slog.New(slog.NewTextHandler(io.Discard, nil)), 10)
	go r.run()
	err := r.Record(t.Context(), outreach.Delivery{ID: "x"})
	r.close()
	if !errors.Is(err, boom) {
		t.Errorf("Record = %v, want it to wrap %v", err, boom)
	}
	if calls < 2 {
		t.Errorf("store called %d times, want retries", calls)
	}
}
