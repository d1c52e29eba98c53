package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func testSearchFilters(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	d := func(id, job, resident string, kind outreach.Kind, ch outreach.Channel, st outreach.Status, campaign string, created time.Time) outreach.Delivery {
		x := delivery(id, job, resident)
		x.Kind, x.Channel, x.Status, x.Campaign, x.CreatedAt = kind, ch, st, campaign, created
		return x
	}
	mustRecord(t, s,
		d("d1", "j1", "r1", outreach.KindHolidayGreeting, outreach.ChannelEmail, outreach.StatusSent, "spring", at(0)),
		d("d2", "j1", "r2", outreach.KindHolidayGreeting, outreach.ChannelSMS, outreach.StatusDelivered, "spring", at(time.Millisecond)),
		d("d3", "j1", "r3", outreach.KindHolidayGreeting, outreach.ChannelEmail, outreach.StatusFailed, "spring", at(time.Millisecond+time.Microsecond)),
		d("d4", "j2", "r1", outreach.KindMaintenanceNotice, outreach.ChannelSMS, outreach.StatusRetrying, "", at(time.Hour)),
		d("d5", "j2", "r2", outreach.KindMaintenanceNotice, outreach.ChannelEmail, outreach.StatusSent, "", at(time.Hour)),
		d("d6", "j3", "r1", outreach.KindFollowUp, "", outreach.StatusFailed, "autumn", at(2*time.Hour)),
		// Same CreatedAt as d4 and d5: ties order by id, descending.
		d("d0", "j2", "r3", outreach.KindMaintenanceNotice, outreach.ChannelEmail, outreach.StatusSent, "", at(time.Hour)),
	)
	tests := []struct {
		name string
		f    outreach.Filter
		want []string
	}{
		{"no filter, newest first, ties by id descending", outreach.Filter{}, []string{"d6", "d5", "d4", "d0", "d3", "d2", "d1"}},
		{"job", outreach.Filter{JobID: "j1"}, []string{"d3", "d2", "d1"}},
		{"resident", outreach.Filter{ResidentID: "r1"}, []string{"d6", "d4", "d1"}},
		{"kind", outreach.Filter{Kind: outreach.KindMaintenanceNotice}, []string{"d5", "d4", "d0"}},
		{"channel", outreach.Filter{Channel: outreach.ChannelSMS}, []string{"d4", "d2"}},
		{"status", outreach.Filter{Status: outreach.StatusFailed}, []string{"d6", "d3"}},
		{"campaign", outreach.Filter{Campaign: "spring"}, []string{"d3", "d2", "d1"}},
		{"since is inclusive", outreach.Filter{Since: at(time.Hour)}, []string{"d6", "d5", "d4", "d0"}},
		{"until is exclusive", outreach.Filter{Until: at(time.Hour)}, []string{"d3", "d2", "d1"}},
		{"since and until", outreach.Filter{Since: at(time.Millisecond), Until: at(2 * time.Hour)}, []string{"d5", "d4", "d0", "d3", "d2"}},
		{"microsecond boundary", outreach.Filter{Since: at(time.Millisecond + time.Microsecond)}, []string{"d6", "d5", "d4", "d0", "d3"}},
		{"since in another zone", outreach.Filter{Since: at(time.Hour).In(shanghai)}, []string{"d6", "d5", "d4", "d0"}},
		{"limit", outreach.Filter{Limit: 2}, []string{"d6", "d5"}},
		{"fields combine with AND", outreach.Filter{JobID: "j2", Channel: outreach.ChannelEmail, Status: outreach.StatusSent}, []string{"d5", "d0"}},
		{"no match", outreach.Filter{JobID: "j1", Kind: outreach.KindFollowUp}, nil},
		{"unknown job", outreach.Filter{JobID: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(mustSearch(t, s, tt.f)); !equalIDs(got, tt.want) {
				t.Errorf("Search(%+v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}
}

func testSearchDefaultLimit(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ds := make([]outreach.Delivery, 1001)
	for i := range ds {
		ds[i] = delivery(fmt.Sprintf("d%04d", i), "job", "r")
		ds[i].CreatedAt = base.Add(time.Duration(i) * time.Second)
	}
	mustRecord(t, s, ds...)
	got := mustSearch(t, s, outreach.Filter{})
	if len(got) != 1000 {
		t.Fatalf("Search with no limit returned %d deliveries, want 1000", len(got))
	}
	if got[0].ID != "d1000" || got[999].ID != "d0001" {
		t.Errorf("Search returned %s..%s, want the newest 1000, d1000..d0001", got[0].ID, got[999].ID)
	}
	if got := mustSearch(t, s, outreach.Filter{Limit: 1001}); len(got) != 1001 {
		t.Errorf("Search with limit 1001 returned %d deliveries, want 1001", len(got))
	}
}

func testSearchNegativeLimit(t *testing.T, open func(t *testing.T) outreach.Store) {
	if _, err := open(t).Search(t.Context(), outreach.Filter{Limit: -1}); err == nil {
		t.Error("Search accepted a negative limit")
	}
}
