package main

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/store"
)

// TestParseAudience: the --audience of enqueue and campaign create, with
// the estate that buildings are within.
func TestParseAudience(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]outreach.Audience{
		"all":                             {All: true},
		"estate=sunshine,building=3":      {Estate: "sunshine", Building: "3"},
		"estate=sunshine":                 {Estate: "sunshine"},
		"building=3,unit=1201,tags=a;b":   {Building: "3", Unit: "1201", Tags: []string{"a", "b"}},
		"locale=en, estate=harbour-court": {Locale: "en", Estate: "harbour-court"},
	} {
		got, err := parseAudience(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseAudience(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"floor=3", "", "estate="} {
		if a, err := parseAudience(bad); err == nil {
			t.Errorf("parseAudience(%q) = %+v, want an error", bad, a)
		}
	}
	if got := describeAudience(outreach.Audience{Estate: "sunshine", Building: "3"}); got != "estate=sunshine, building=3" {
		t.Errorf("describeAudience = %q", got)
	}
}

// TestCampaignListByEstate: campaign list --estate keeps the campaigns
// whose audience is that estate's.
func TestCampaignListByEstate(t *testing.T) {
	t.Parallel()
	url := "sqlite://" + filepath.Join(t.TempDir(), "outreach.db")
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := &campaign.Service{Store: st, Zone: time.UTC}
	for _, id := range []string{"east", "west"} {
		if err := st.CreateEstate(t.Context(), outreach.Estate{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Create(t.Context(), outreach.Campaign{Name: id + " greeting", Kind: outreach.KindHolidayGreeting,
			Audience: outreach.Audience{Estate: id, Building: "3"}, Data: map[string]any{"holiday": "春节"}}); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
		return map[string]string{"OUTREACH_DATABASE_URL": url}[k]
	}}
	if status := runArgs(t.Context(), e, []string{"campaign", "list", "--estate", "west", "--json"}, false); status != 0 {
		t.Fatalf("campaign list --estate west = %d: %s", status, stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "west greeting") || strings.Contains(out, "east greeting") {
		t.Errorf("campaign list --estate west printed %s", out)
	}
}
