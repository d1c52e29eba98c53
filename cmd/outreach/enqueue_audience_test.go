package main

import (
	"reflect"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
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
