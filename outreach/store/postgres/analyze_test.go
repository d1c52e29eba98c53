package postgres_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestImportRefreshesResidentStats imports residents who all have a tag
// into a new database, as a property manager does before a campaign to
// them, and checks that the store analyzed the table (analyze.go), so
// that the campaign's first page of that tag walks the primary key: on
// the statistics of an empty table the planner reads every resident with
// the tag through the tags index and sorts them, for every page.
func TestImportRefreshesResidentStats(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openFresh(t)
	analyzed := make(chan error, 100)
	s.OnResidentsAnalyzed(func(err error) { analyzed <- err })

	const n, batch = 20000, 1000
	for i := 0; i < n; i += batch {
		rs := make([]outreach.Resident, batch)
		for j := range rs {
			rs[j] = outreach.Resident{ID: fmt.Sprintf("r%06d", i+j), Name: "R", Email: fmt.Sprintf("r%d@example.com", i+j),
				Tags: []string{"block-c"}, Channels: []outreach.Channel{outreach.ChannelEmail}}
		}
		if _, err := s.UpsertResidents(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	// The ANALYZE runs in the background (and again while rows were
	// added during it): wait until none runs.
	s.WaitResidentsAnalyzed()
	if len(analyzed) == 0 {
		t.Fatal("the import of 20000 residents into an empty table ran no ANALYZE")
	}
	for len(analyzed) > 0 {
		if err := <-analyzed; err != nil {
			t.Fatalf("ANALYZE residents: %v", err)
		}
	}

	plan, err := s.ExplainResidentPage(ctx, outreach.ResidentFilter{Audience: outreach.Audience{Tags: []string{"block-c"}}, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "residents_pkey") || strings.Contains(plan, "Sort") {
		t.Errorf("the first page of a tag every resident has does not walk the primary key:\n%s", plan)
	}
}
