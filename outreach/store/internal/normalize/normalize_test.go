package normalize

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func TestDeliveriesLeavesInputAlone(t *testing.T) {
	zone := time.FixedZone("CST", 8*60*60)
	sent := time.Date(2025, 1, 2, 3, 4, 5, 678901234, zone)
	in := []outreach.Delivery{{ID: "d", CreatedAt: sent, SentAt: &sent}}
	before := in[0]
	out, err := Deliveries(in, time.Now())
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	if !reflect.DeepEqual(in[0], before) || *in[0].SentAt != sent {
		t.Errorf("Deliveries changed its input: %+v", in[0])
	}
	want := time.Date(2025, 1, 1, 19, 4, 5, 678901000, time.UTC)
	if out[0].CreatedAt != want || *out[0].SentAt != want {
		t.Errorf("normalized times = %v, %v; want %v", out[0].CreatedAt, *out[0].SentAt, want)
	}
}

func TestResidentsLeavesInputAlone(t *testing.T) {
	in := []outreach.Resident{{ID: "r", Tags: []string{"a"},
		OptOutKinds: []outreach.Kind{outreach.KindFollowUp, outreach.KindHolidayGreeting, outreach.KindFollowUp}}}
	out, err := Residents(in, time.Now())
	if err != nil {
		t.Fatalf("Residents: %v", err)
	}
	out[0].Tags[0] = "changed"
	if in[0].Tags[0] != "a" {
		t.Error("Residents returned tags that share the caller's array")
	}
	if want := []outreach.Kind{outreach.KindFollowUp, outreach.KindHolidayGreeting, outreach.KindFollowUp}; !slices.Equal(in[0].OptOutKinds, want) {
		t.Errorf("Residents sorted the caller's opt-outs in place: %q", in[0].OptOutKinds)
	}
	if want := []outreach.Kind{outreach.KindFollowUp, outreach.KindHolidayGreeting}; !slices.Equal(out[0].OptOutKinds, want) {
		t.Errorf("normalized opt-outs = %q, want the sorted set %q", out[0].OptOutKinds, want)
	}
}

func TestFilter(t *testing.T) {
	tests := []struct {
		name    string
		in      outreach.Filter
		want    outreach.Filter
		wantErr bool
	}{
		{"default limit", outreach.Filter{}, outreach.Filter{Limit: DefaultLimit}, false},
		{"explicit limit", outreach.Filter{Limit: 5}, outreach.Filter{Limit: 5}, false},
		{"negative limit", outreach.Filter{Limit: -1}, outreach.Filter{}, true},
		{"times to the microsecond in UTC",
			outreach.Filter{Limit: 1, Since: time.Unix(10, 1999).In(time.FixedZone("X", 3600))},
			outreach.Filter{Limit: 1, Since: time.Unix(10, 1000).UTC()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Filter(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Filter error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Filter = %+v, want %+v", got, tt.want)
			}
		})
	}
}
