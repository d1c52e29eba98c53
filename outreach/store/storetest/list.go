package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// listAll pages through the directory with ListResidents, limit at a time.
func listAll(t *testing.T, s outreach.Store, a outreach.Audience, limit int) []string {
	t.Helper()
	var ids []string
	after := ""
	for range 10000 {
		page, err := s.ListResidents(t.Context(), outreach.ResidentFilter{Audience: a, After: after, Limit: limit})
		if err != nil {
			t.Fatalf("ListResidents(%+v, after %q, limit %d): %v", a, after, limit, err)
		}
		if len(page) > limit {
			t.Fatalf("ListResidents returned %d residents, more than the limit %d", len(page), limit)
		}
		for _, r := range page {
			ids = append(ids, r.ID)
		}
		if len(page) < limit {
			return ids
		}
		after = page[len(page)-1].ID
	}
	t.Fatal("ListResidents never ran out of pages")
	return nil
}

func testListResidentsPages(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	fixture := audienceFixture()
	full := outreach.Resident{
		ID: "a0", Name: "Full", Email: "full@example.com", Tags: []string{"elderly"}, TimeZone: "Asia/Shanghai",
		OptOutChannels: []outreach.Channel{sms}, Attributes: map[string]string{"k": "v"}, UpdatedAt: base,
	}
	mustUpsert(t, s, append(fixture, full)...)
	var all []string
	for _, r := range append(fixture, full) {
		all = append(all, r.ID)
	}
	slices.Sort(all)
	for _, limit := range []int{1, 2, 3, len(all) - 1, len(all), len(all) + 1, 1000} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			if got := listAll(t, s, outreach.Audience{}, limit); !slices.Equal(got, all) {
				t.Errorf("paging by %d listed %q, want %q", limit, got, all)
			}
		})
	}
	t.Run("after a cursor that is no id", func(t *testing.T) {
		page, err := s.ListResidents(t.Context(), outreach.ResidentFilter{After: "a3~", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := residentIDs(page); !slices.Equal(got, []string{"b1", "b2"}) {
			t.Errorf("ListResidents(after a3~) = %q, want [b1 b2]", got)
		}
	})
	t.Run("every field comes back", func(t *testing.T) {
		page, err := s.ListResidents(t.Context(), outreach.ResidentFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 1 {
			t.Fatalf("got %d residents, want 1", len(page))
		}
		if d := residentDiff(page[0], full); d != "" {
			t.Error(d)
		}
	})
}

// testListResidentsMatchesAudience checks the filters against
// outreach.Audience.Matches, except that an empty audience lists everyone.
func testListResidentsMatchesAudience(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	fixture := audienceFixture()
	mustUpsert(t, s, fixture...)
	for _, building := range []string{"", "1", "2"} {
		for _, unit := range []string{"", "101"} {
			for _, locale := range []string{"", "en"} {
				for _, tags := range [][]string{nil, {"elderly"}, {"new_resident", "elderly"}} {
					a := outreach.Audience{Building: building, Unit: unit, Locale: locale, Tags: tags}
					matches := a
					matches.All = true
					var want []string
					for _, r := range fixture {
						if matches.Matches(r) {
							want = append(want, r.ID)
						}
					}
					if got := listAll(t, s, a, 2); !equalIDs(got, want) {
						t.Errorf("ListResidents(%+v) = %q, Matches says %q", a, got, want)
					}
				}
			}
		}
	}
}

func testListResidentsLimits(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	var rs []outreach.Resident
	for i := range 150 {
		rs = append(rs, resident(fmt.Sprintf("r%03d", i)))
	}
	mustUpsert(t, s, rs...)
	page, err := s.ListResidents(t.Context(), outreach.ResidentFilter{})
	if err != nil {
		t.Fatalf("ListResidents: %v", err)
	}
	if len(page) != 100 || page[0].ID != "r000" || page[99].ID != "r099" {
		t.Errorf("the default page has %d residents, want r000..r099", len(page))
	}
	if _, err := s.ListResidents(t.Context(), outreach.ResidentFilter{Limit: -1}); err == nil {
		t.Error("ListResidents accepted a negative limit")
	}
	page, err = s.ListResidents(t.Context(), outreach.ResidentFilter{After: "r149"})
	if err != nil || len(page) != 0 {
		t.Errorf("ListResidents after the last id = %d residents, %v; want none", len(page), err)
	}
	for _, f := range []outreach.ResidentFilter{
		{After: "r\x00"}, {After: "\xff"}, {Audience: outreach.Audience{Building: "\x00"}}, {Audience: outreach.Audience{Tags: []string{"\xc3"}}},
	} {
		if _, err := s.ListResidents(t.Context(), f); err == nil {
			t.Errorf("ListResidents(%+v) accepted text no store can hold", f)
		}
	}
}

func residentIDs(rs []outreach.Resident) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
