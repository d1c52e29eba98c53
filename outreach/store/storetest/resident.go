package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func resident(id string) outreach.Resident {
	return outreach.Resident{ID: id, Name: "Resident " + id, UpdatedAt: base}
}

// residentDiff describes how got differs from want ("" when equal).
func residentDiff(got, want outreach.Resident) string {
	var diffs []string
	if d := timeDiff("UpdatedAt", got.UpdatedAt, want.UpdatedAt); d != "" {
		diffs = append(diffs, d)
	}
	got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	want.Estate = want.EstateID() // a resident without an estate is in the default one
	if !reflect.DeepEqual(got, want) {
		diffs = append(diffs, fmt.Sprintf("got  %#v\nwant %#v", got, want))
	}
	return strings.Join(diffs, "\n")
}

func testUpsertResidentsCounts(t *testing.T, open func(t *testing.T) outreach.Store) {
	a, b, c := resident("a"), resident("b"), resident("c")
	tests := []struct {
		name    string
		batches [][]outreach.Resident
		want    []outreach.ImportResult
	}{
		{"all new", [][]outreach.Resident{{a, b, c}}, []outreach.ImportResult{{Added: 3}}},
		{"all known", [][]outreach.Resident{{a, b}, {b, a}}, []outreach.ImportResult{{Added: 2}, {Updated: 2}}},
		{"mixed", [][]outreach.Resident{{a}, {a, b, c}}, []outreach.ImportResult{{Added: 1}, {Added: 2, Updated: 1}}},
		{"same id twice in a batch", [][]outreach.Resident{{a, a, b}}, []outreach.ImportResult{{Added: 2, Updated: 1}}},
		{"empty batch", [][]outreach.Resident{{}, {a}}, []outreach.ImportResult{{}, {Added: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			for i, batch := range tt.batches {
				if got := mustUpsert(t, s, batch...); got != tt.want[i] {
					t.Errorf("batch %d: UpsertResidents = %+v, want %+v", i, got, tt.want[i])
				}
			}
		})
	}
}

func testResidentRoundTrip(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	full := outreach.Resident{
		ID: "r-001", Name: "王小明 O'Brien", Email: "wang@example.com", Phone: "+8613800138000",
		Locale: "zh-CN", Building: "3", Unit: "1202",
		Tags:       []string{"elderly", "new_resident", "a;b", ""},
		Channels:   []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail},
		Attributes: map[string]string{"move_in": "2024-12-01", "pet": "猫", "quote": `"x"`},
		UpdatedAt:  time.Date(2025, 2, 3, 4, 5, 6, 123456789, shanghai),
		TimeZone:   "America/New_York",
		// Opt-outs are sets: given in any order, with repeats, they come
		// back sorted in byte order without repeats.
		OptOutChannels: []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail, outreach.ChannelSMS},
		OptOutKinds:    []outreach.Kind{outreach.KindMaintenanceNotice, outreach.KindHolidayGreeting},
	}
	tests := []struct {
		name string
		in   outreach.Resident
		want outreach.Resident
	}{
		{"every field", full, func() outreach.Resident {
			w := full
			w.UpdatedAt = stored(full.UpdatedAt)
			w.OptOutChannels = []outreach.Channel{outreach.ChannelEmail, outreach.ChannelSMS}
			w.OptOutKinds = []outreach.Kind{outreach.KindHolidayGreeting, outreach.KindMaintenanceNotice}
			return w
		}()},
		{"only an id", outreach.Resident{ID: "r-002", UpdatedAt: base}, outreach.Resident{ID: "r-002", UpdatedAt: base}},
		{"empty lists come back nil", outreach.Resident{
			ID: "r-003", Tags: []string{}, Channels: []outreach.Channel{}, Attributes: map[string]string{}, UpdatedAt: base,
			OptOutChannels: []outreach.Channel{}, OptOutKinds: []outreach.Kind{},
		}, outreach.Resident{ID: "r-003", UpdatedAt: base}},
	}
	for _, tt := range tests {
		mustUpsert(t, s, tt.in)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Resident(t.Context(), tt.in.ID)
			if err != nil {
				t.Fatalf("Resident(%q): %v", tt.in.ID, err)
			}
			if d := residentDiff(got, tt.want); d != "" {
				t.Error(d)
			}
		})
	}

	t.Run("zero UpdatedAt is set to now", func(t *testing.T) {
		before := time.Now().Truncate(time.Microsecond)
		mustUpsert(t, s, outreach.Resident{ID: "r-004"})
		after := time.Now()
		got, err := s.Resident(t.Context(), "r-004")
		if err != nil {
			t.Fatalf("Resident: %v", err)
		}
		if got.UpdatedAt.Before(before) || got.UpdatedAt.After(after) || got.UpdatedAt.Location() != time.UTC {
			t.Errorf("UpdatedAt = %v, want UTC between %v and %v", got.UpdatedAt, before, after)
		}
	})
}

func testResidentReplaced(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	first := outreach.Resident{
		ID: "r1", Name: "Old", Email: "old@example.com", Phone: "+8613800000000", Locale: "en",
		Building: "1", Unit: "101", Tags: []string{"vip"}, Channels: []outreach.Channel{outreach.ChannelEmail},
		Attributes: map[string]string{"a": "1"}, UpdatedAt: base, TimeZone: "Asia/Tokyo",
		OptOutChannels: []outreach.Channel{outreach.ChannelSMS}, OptOutKinds: []outreach.Kind{outreach.KindHolidayGreeting},
	}
	second := outreach.Resident{ID: "r1", Name: "New", Building: "2", UpdatedAt: base.Add(time.Hour)}
	mustUpsert(t, s, first)
	mustUpsert(t, s, second)
	got, err := s.Resident(t.Context(), "r1")
	if err != nil {
		t.Fatalf("Resident: %v", err)
	}
	want := second
	want.OptOutChannels, want.OptOutKinds = first.OptOutChannels, first.OptOutKinds
	if d := residentDiff(got, want); d != "" {
		t.Errorf("every field but the opt-outs must be replaced:\n%s", d)
	}
}

func testResidentNotFound(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustUpsert(t, s, resident("known"))
	// Ids no resident can have (UpsertResidents refuses them) are simply
	// not found, whatever the database thinks of their bytes.
	for _, id := range []string{"unknown", "", "KNOWN", "known ", "known\x00", "\xff\xfe"} {
		_, err := s.Resident(t.Context(), id)
		if !errors.Is(err, outreach.ErrNotFound) {
			t.Errorf("Resident(%q) error = %v, want one wrapping outreach.ErrNotFound", id, err)
		}
		err = s.SetOptOut(t.Context(), id, outreach.ChannelSMS, "", true)
		if !errors.Is(err, outreach.ErrNotFound) {
			t.Errorf("SetOptOut(%q) error = %v, want one wrapping outreach.ErrNotFound", id, err)
		}
		_, err = s.UpdateResident(t.Context(), id, func(*outreach.Resident) error { return nil })
		if !errors.Is(err, outreach.ErrNotFound) {
			t.Errorf("UpdateResident(%q) error = %v, want one wrapping outreach.ErrNotFound", id, err)
		}
	}
}

func testUpsertResidentsRejects(t *testing.T, open func(t *testing.T) outreach.Store) {
	tests := []struct {
		name string
		bad  outreach.Resident
	}{
		{"empty id", outreach.Resident{Name: "nobody"}},
		{"invalid UTF-8 name", outreach.Resident{ID: "bad", Name: "\xff\xfe"}},
		{"NUL in a tag", outreach.Resident{ID: "bad", Tags: []string{"a\x00b"}}},
		{"invalid UTF-8 attribute", outreach.Resident{ID: "bad", Attributes: map[string]string{"k": "\xc3"}}},
		{"NUL in the time zone", outreach.Resident{ID: "bad", TimeZone: "Asia/\x00"}},
		{"invalid UTF-8 opt-out kind", outreach.Resident{ID: "bad", OptOutKinds: []outreach.Kind{"\xff"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			if _, err := s.UpsertResidents(t.Context(), []outreach.Resident{resident("good"), tt.bad}); err == nil {
				t.Fatal("UpsertResidents accepted an invalid resident")
			}
			if _, err := s.Resident(t.Context(), "good"); !errors.Is(err, outreach.ErrNotFound) {
				t.Errorf("a failed batch wrote its valid rows too: Resident(good) error = %v", err)
			}
		})
	}
}

// audienceFixture is a small directory that the audience tests select from.
func audienceFixture() []outreach.Resident {
	r := func(id, building, unit, locale string, tags ...string) outreach.Resident {
		return outreach.Resident{ID: id, Building: building, Unit: unit, Locale: locale, Tags: tags, UpdatedAt: base}
	}
	return []outreach.Resident{
		r("a1", "1", "101", "en", "elderly"),
		r("a2", "1", "102", "zh-CN", "elderly", "new_resident"),
		r("a3", "1", "101", "zh-CN"),
		r("b1", "2", "101", "en", "new_resident"),
		r("b2", "2", "201", "zh-CN", "vip", "elderly"),
		r("b3", "2", "", "", "elderly-ish"),
		r("c1", "", "", "en"),
		r("c2", "10", "101", "en", "Elderly"),
	}
}

func testResidentsAudience(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustUpsert(t, s, audienceFixture()...)
	tests := []struct {
		name string
		a    outreach.Audience
		want []string
	}{
		{"empty selects nobody", outreach.Audience{}, nil},
		{"empty tag list selects nobody", outreach.Audience{Tags: []string{}}, nil},
		{"all", outreach.Audience{All: true}, []string{"a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2"}},
		{"building", outreach.Audience{Building: "1"}, []string{"a1", "a2", "a3"}},
		{"building is not a prefix", outreach.Audience{Building: "10"}, []string{"c2"}},
		{"unit", outreach.Audience{Unit: "101"}, []string{"a1", "a3", "b1", "c2"}},
		{"building and unit", outreach.Audience{Building: "2", Unit: "101"}, []string{"b1"}},
		{"locale", outreach.Audience{Locale: "zh-CN"}, []string{"a2", "a3", "b2"}},
		{"one tag, exact and case-sensitive", outreach.Audience{Tags: []string{"elderly"}}, []string{"a1", "a2", "b2"}},
		{"every tag must be present", outreach.Audience{Tags: []string{"elderly", "new_resident"}}, []string{"a2"}},
		{"tag nobody has", outreach.Audience{Tags: []string{"elderly", "vip", "new_resident"}}, nil},
		{"all does not widen other fields", outreach.Audience{All: true, Building: "2", Tags: []string{"elderly"}}, []string{"b2"}},
		{"unknown building", outreach.Audience{Building: "99"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := walk(t, s, tt.a); !equalIDs(got, tt.want) {
				t.Errorf("Residents(%+v) = %q, want %q", tt.a, got, tt.want)
			}
		})
	}
}

// testResidentsMatchesAudience checks the SQL filters against
// outreach.Audience.Matches, the definition, over every combination of
// audience fields.
func testResidentsMatchesAudience(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	fixture := audienceFixture()
	mustUpsert(t, s, fixture...)
	for _, all := range []bool{false, true} {
		for _, building := range []string{"", "1", "2"} {
			for _, unit := range []string{"", "101"} {
				for _, locale := range []string{"", "en", "zh-CN"} {
					for _, tags := range [][]string{nil, {"elderly"}, {"new_resident", "elderly"}, {"vip"}} {
						a := outreach.Audience{All: all, Building: building, Unit: unit, Locale: locale, Tags: tags}
						var want []string
						for _, r := range fixture {
							if a.Matches(r) {
								want = append(want, r.ID)
							}
						}
						if got := walk(t, s, a); !equalIDs(got, want) {
							t.Errorf("Residents(%+v) = %q, Matches says %q", a, got, want)
						}
					}
				}
			}
		}
	}
}

func testResidentsOrderAndPages(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	// More than two pages, with ids whose byte order differs from a
	// natural-language collation: upper before lower case, digits before
	// letters, multi-byte characters last.
	var rs []outreach.Resident
	for i := range 1234 {
		prefix := []string{"a", "B", "é", "中", "Z", "0", "_"}[i%7]
		rs = append(rs, outreach.Resident{ID: fmt.Sprintf("%s-%04d", prefix, i), Building: "7", UpdatedAt: base})
	}
	rs = append(rs, outreach.Resident{ID: "elsewhere", Building: "8", UpdatedAt: base})
	mustUpsert(t, s, rs...)

	var want []string
	for _, r := range rs[:1234] {
		want = append(want, r.ID)
	}
	slices.Sort(want)
	if got := walk(t, s, outreach.Audience{Building: "7"}); !equalIDs(got, want) {
		t.Errorf("Residents returned %d ids (first %q), want %d in byte order (first %q)",
			len(got), head(got), len(want), head(want))
	}
	got := walk(t, s, outreach.Audience{All: true})
	if len(got) != 1235 || !slices.IsSorted(got) {
		t.Errorf("Residents(all) returned %d ids, sorted %v; want 1235 sorted", len(got), slices.IsSorted(got))
	}
}

func head(ids []string) []string { return ids[:min(len(ids), 5)] }

func testResidentsStopsOnError(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	for i := range 10 {
		mustUpsert(t, s, resident(fmt.Sprintf("r%02d", i)))
	}
	stop := errors.New("stop here")
	var seen []string
	err := s.Residents(t.Context(), outreach.Audience{All: true}, func(r outreach.Resident) error {
		seen = append(seen, r.ID)
		if len(seen) == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Residents error = %v, want the callback's error", err)
	}
	if want := []string{"r00", "r01", "r02"}; !equalIDs(seen, want) {
		t.Errorf("callback saw %q, want %q", seen, want)
	}
}

// testResidentsCallbackUsesStore proves that the walk holds no connection
// or lock while the callback runs: the callback reads and writes the store.
func testResidentsCallbackUsesStore(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	var rs []outreach.Resident
	for i := range 1100 {
		rs = append(rs, resident(fmt.Sprintf("r%04d", i)))
	}
	mustUpsert(t, s, rs...)
	ctx := waitCtx(t)
	n := 0
	err := s.Residents(ctx, outreach.Audience{All: true}, func(r outreach.Resident) error {
		n++
		if _, err := s.Resident(ctx, r.ID); err != nil {
			return err
		}
		if n%100 != 0 {
			return nil
		}
		if err := s.Record(ctx, []outreach.Delivery{delivery("d-"+r.ID, "job", r.ID)}); err != nil {
			return err
		}
		_, err := s.UpsertResidents(ctx, []outreach.Resident{resident("zz-added-" + r.ID)})
		return err
	})
	if err != nil {
		t.Fatalf("Residents: %v", err)
	}
	if n < 1100 {
		t.Errorf("callback ran %d times, want at least 1100", n)
	}
	if got := mustSearch(t, s, outreach.Filter{JobID: "job"}); len(got) != 11 {
		t.Errorf("the callback recorded %d deliveries, want 11", len(got))
	}
}
