package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// countsFixture records deliveries over two estates, two channels and a
// few statuses, one a minute from base.
func countsFixture(t *testing.T, s outreach.Store) {
	t.Helper()
	var ds []outreach.Delivery
	add := func(estate string, ch outreach.Channel, st outreach.Status, errText string) {
		i := len(ds)
		d := delivery(fmt.Sprintf("d%02d", i), "job", fmt.Sprintf("r%02d", i))
		d.Estate, d.Channel, d.Status, d.Error = estate, ch, st, errText
		d.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		d.UpdatedAt = d.CreatedAt
		ds = append(ds, d)
	}
	add("north", outreach.ChannelSMS, outreach.StatusDelivered, "")        // 0
	add("north", outreach.ChannelSMS, outreach.StatusDelivered, "")        // 1
	add("north", outreach.ChannelSMS, outreach.StatusFailed, "bad number") // 2
	add("north", outreach.ChannelEmail, outreach.StatusSent, "")           // 3
	add("north", outreach.ChannelEmail, outreach.StatusUndelivered, "mailbox full")
	add("south", outreach.ChannelSMS, outreach.StatusFailed, "bad number") // 5
	add("south", outreach.ChannelSMS, outreach.StatusFailed, "carrier down")
	add("south", outreach.ChannelEmail, outreach.StatusUndelivered, "mailbox full")
	add("south", outreach.ChannelEmail, outreach.StatusFailed, "bad number") // 8
	mustRecord(t, s, ds...)
}

func countMap(t *testing.T, s outreach.Store, f outreach.Filter) map[string]int64 {
	t.Helper()
	list, err := s.CountDeliveries(t.Context(), f)
	if err != nil {
		t.Fatalf("CountDeliveries(%+v): %v", f, err)
	}
	m := map[string]int64{}
	for _, c := range list {
		k := string(c.Channel) + "/" + string(c.Status)
		if _, dup := m[k]; dup {
			t.Errorf("CountDeliveries(%+v) lists %s twice", f, k)
		}
		m[k] = c.Count
	}
	return m
}

func testCountDeliveries(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	if got := countMap(t, s, outreach.Filter{}); len(got) != 0 {
		t.Errorf("CountDeliveries of an empty archive = %v", got)
	}
	countsFixture(t, s)
	for _, tt := range []struct {
		name string
		f    outreach.Filter
		want map[string]int64
	}{
		{"all", outreach.Filter{}, map[string]int64{"sms/delivered": 2, "sms/failed": 3, "email/sent": 1, "email/undelivered": 2, "email/failed": 1}},
		{"estates", outreach.Filter{Estates: []string{"north"}}, map[string]int64{"sms/delivered": 2, "sms/failed": 1, "email/sent": 1, "email/undelivered": 1}},
		{"estate and estates", outreach.Filter{Estate: "south", Estates: []string{"north"}}, map[string]int64{}},
		{"since", outreach.Filter{Since: base.Add(4 * time.Minute)}, map[string]int64{"email/undelivered": 2, "sms/failed": 2, "email/failed": 1}},
		{"since until", outreach.Filter{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, map[string]int64{"sms/delivered": 1, "sms/failed": 1}},
		{"limit ignored", outreach.Filter{Estate: "north", Channel: outreach.ChannelSMS, Limit: 1}, map[string]int64{"sms/delivered": 2, "sms/failed": 1}},
	} {
		if got := countMap(t, s, tt.f); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: CountDeliveries = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testFailureReasons(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	countsFixture(t, s)
	str := func(f outreach.Filter) string {
		t.Helper()
		list, err := s.FailureReasons(t.Context(), f)
		if err != nil {
			t.Fatalf("FailureReasons(%+v): %v", f, err)
		}
		var out []string
		for _, rc := range list {
			out = append(out, fmt.Sprintf("%s:%s:%d", rc.Status, rc.Error, rc.Count))
		}
		return fmt.Sprint(out)
	}
	for _, tt := range []struct {
		name string
		f    outreach.Filter
		want string
	}{
		{"all", outreach.Filter{}, "[failed:bad number:3 undelivered:mailbox full:2 failed:carrier down:1]"},
		{"status ignored", outreach.Filter{Status: outreach.StatusDelivered}, "[failed:bad number:3 undelivered:mailbox full:2 failed:carrier down:1]"},
		{"estates", outreach.Filter{Estates: []string{"north"}}, "[failed:bad number:1 undelivered:mailbox full:1]"},
		{"channel", outreach.Filter{Channel: outreach.ChannelSMS}, "[failed:bad number:2 failed:carrier down:1]"},
		// The newest one of each status: d08 (failed) and d07 (undelivered).
		{"limit", outreach.Filter{Limit: 1}, "[failed:bad number:1 undelivered:mailbox full:1]"},
		{"until", outreach.Filter{Until: base.Add(3 * time.Minute)}, "[failed:bad number:1]"},
		{"none", outreach.Filter{Estate: "east"}, "[]"},
	} {
		if got := str(tt.f); got != tt.want {
			t.Errorf("%s: FailureReasons = %s, want %s", tt.name, got, tt.want)
		}
	}
	if _, err := s.FailureReasons(t.Context(), outreach.Filter{Limit: -1}); err == nil {
		t.Error("FailureReasons with a negative limit: no error")
	}
}
