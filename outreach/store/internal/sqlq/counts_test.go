package sqlq

import (
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func TestCountStatements(t *testing.T) {
	h := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	half := h.Add(30 * time.Minute)
	for _, tt := range []struct {
		name string
		f    outreach.Filter
		want []string // the table each statement reads
	}{
		{"everything", outreach.Filter{}, []string{"delivery_hour_counts"}},
		{"since an hour", outreach.Filter{Since: h, Estates: []string{"a"}}, []string{"delivery_hour_counts"}},
		{"since a half hour", outreach.Filter{Since: half}, []string{"delivery_hour_counts", "deliveries"}},
		{"until a half hour", outreach.Filter{Since: h, Until: half.Add(2 * time.Hour)}, []string{"delivery_hour_counts", "deliveries"}},
		{"both ends", outreach.Filter{Since: half, Until: half.Add(2 * time.Hour)}, []string{"delivery_hour_counts", "deliveries", "deliveries"}},
		{"inside an hour", outreach.Filter{Since: h.Add(time.Minute), Until: h.Add(59 * time.Minute)}, []string{"deliveries"}},
		{"a half hour across an hour", outreach.Filter{Since: half, Until: half.Add(time.Hour)}, []string{"deliveries"}},
		{"a building", outreach.Filter{Building: "b", Since: h}, []string{"deliveries"}},
		{"a campaign", outreach.Filter{Campaign: "c"}, []string{"deliveries"}},
	} {
		var got []string
		for _, st := range CountStatements(PostgreSQL, tt.f) {
			table := "deliveries"
			if strings.Contains(st.SQL, "delivery_hour_counts") {
				table = "delivery_hour_counts"
			}
			got = append(got, table)
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: CountStatements reads %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := Hour(time.Unix(3600*5+3599, 999)); got != 5 {
		t.Errorf("Hour = %d, want 5", got)
	}
	if got := Hour(time.Unix(-1, 0)); got != -1 {
		t.Errorf("Hour before the epoch = %d, want -1", got)
	}
}
