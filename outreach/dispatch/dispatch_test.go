package dispatch

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
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
	email, sms, wecom := outreach.ChannelEmail, outreach.ChannelSMS, outreach.ChannelWeCom
	tests := []struct {
		name    string
		job     []outreach.Channel
		r       outreach.Resident
		senders map[outreach.Channel]outreach.Sender
		want    []outreach.Channel
		wantErr string
	}{
		{"default order", nil, full, both, []outreach.Channel{email, sms}, ""},
		{"resident prefers sms", nil, outreach.Resident{Email: "a@example.com", Phone: "+86138", Channels: []outreach.Channel{sms, email}}, both, []outreach.Channel{sms, email}, ""},
		{"resident's list limits the fallback", nil, outreach.Resident{Email: "a@example.com", Phone: "+86138", Channels: []outreach.Channel{sms}}, both, []outreach.Channel{sms}, ""},
		{"job overrides resident", []outreach.Channel{email}, outreach.Resident{Email: "a@example.com", Phone: "+86138", Channels: []outreach.Channel{sms}}, both, []outreach.Channel{email}, ""},
		{"chat channels of the job are not the resident's", []outreach.Channel{wecom, sms}, full, both, []outreach.Channel{sms}, ""},
		{"skip channel without contact", nil, outreach.Resident{Phone: "+86138"}, both, []outreach.Channel{sms}, ""},
		{"skip unconfigured channel", []outreach.Channel{sms, email}, full, emailOnly, []outreach.Channel{email}, ""},
		{"no contact for allowed channel", []outreach.Channel{email}, outreach.Resident{Phone: "+86138"}, both, nil, "email: resident has no contact"},
		{"channel not configured", []outreach.Channel{sms}, full, emailOnly, nil, "sms: channel not configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := route(order(outreach.Job{Channels: tt.job}, tt.r), tt.r, tt.senders)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("route error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("route = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestGroupOnly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		channels []outreach.Channel
		want     bool
	}{
		{nil, false},
		{[]outreach.Channel{outreach.ChannelWeCom}, true},
		{[]outreach.Channel{outreach.ChannelWeCom, outreach.ChannelSlack}, true},
		{[]outreach.Channel{outreach.ChannelWeCom, outreach.ChannelSMS}, false},
	} {
		if got := groupOnly(outreach.Job{Channels: tt.channels}); got != tt.want {
			t.Errorf("groupOnly(%v) = %v, want %v", tt.channels, got, tt.want)
		}
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

// recordFunc is a Store whose Record is a function. The other methods are
// those of the embedded nil Store: calling one panics, and a method added
// to outreach.Store needs no change here.
type recordFunc struct {
	outreach.Store
	fn func(ctx context.Context, ds []outreach.Delivery) error
}

func (f recordFunc) Record(ctx context.Context, ds []outreach.Delivery) error { return f.fn(ctx, ds) }

// TestUrgentFirst: a worker takes a waiting urgent item before the queued
// ones, and stops once both channels are closed and drained.
func TestUrgentFirst(t *testing.T) {
	t.Parallel()
	urgent, work := make(chan item, 1), make(chan item, 3)
	for _, id := range []string{"b1", "b2", "b3"} {
		work <- item{e: queue.Entry{ID: id}}
	}
	urgent <- item{e: queue.Entry{ID: "u1"}}
	var got []string
	for it := range urgentFirst(urgent, work) {
		got = append(got, it.e.ID)
		if it.e.ID == "b1" {
			urgent <- item{e: queue.Entry{ID: "u2"}} // arrives while b2 and b3 wait
			close(urgent)
			close(work)
		}
	}
	if want := []string{"u1", "b1", "u2", "b2", "b3"}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}
