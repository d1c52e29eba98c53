package resident

import (
	"errors"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestParseEstates: the estate column puts residents in estates; an
// unknown estate is reported on its line like any bad cell; a file
// without the column takes Options.DefaultEstate.
func TestParseEstates(t *testing.T) {
	t.Parallel()
	file := []byte("id,name,phone,building,estate\n" +
		"r1,张伟,13800138000,3,sunshine\n" +
		"r2,李娜,13912345678,3,harbour\n" +
		"r3,王秀英,13600001111,3,\n" +
		"r4,陈静,13700001111,3,nowhere\n" +
		"r5,周杰,13500001111,3,Bad Id\n")
	res := mustParse(t, file, Options{Estates: []string{"default", "harbour", "sunshine"}})
	got := map[string]string{}
	for _, r := range res.Residents {
		got[r.ID] = r.Estate
	}
	want := map[string]string{"r1": "sunshine", "r2": "harbour", "r3": ""}
	if len(got) != len(want) || got["r1"] != want["r1"] || got["r2"] != want["r2"] || got["r3"] != want["r3"] {
		t.Errorf("estates %v, want %v", got, want)
	}
	checkErrors(t, res.Errors, []wantErr{
		{line: 5, field: "estate", is: outreach.ErrUnknownEstate, text: `"nowhere"`},
		{line: 6, field: "estate", text: "estate id"},
	})

	res = mustParse(t, []byte("id,name,phone\nr1,张伟,13800138000\n"), Options{DefaultEstate: "sunshine", Estates: []string{"default", "sunshine"}})
	if len(res.Residents) != 1 || res.Residents[0].Estate != "sunshine" {
		t.Errorf("a file without the column, DefaultEstate sunshine: %+v", res.Residents)
	}
	if _, err := ParseCSV(strings.NewReader("id,name\n"), Options{DefaultEstate: "nowhere", Estates: []string{"default"}}); !errors.Is(err, outreach.ErrUnknownEstate) {
		t.Errorf("an unknown DefaultEstate: %v, want ErrUnknownEstate", err)
	}
}
