package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func sunshine() outreach.Estate {
	return outreach.Estate{
		ID: "sunshine", Name: "阳光花园", Company: "万科物业", ServicePhone: "0571-88880001",
		OfficeHours: "8:00-20:00", EmergencyPhone: "0571-88889999", Address: "文一路 1 号",
		SMSSignature: "【阳光花园物业】", EmailFromName: "阳光花园物业服务中心", ReplyTo: "service@sunshine.example",
		TimeZone: "Asia/Shanghai", Locale: "zh-CN", QuietHours: "22:00-07:00", SurveyFatigue: "60d",
	}
}

func mustCreateEstate(t *testing.T, s outreach.Store, es ...outreach.Estate) {
	t.Helper()
	for _, e := range es {
		if err := s.CreateEstate(t.Context(), e); err != nil {
			t.Fatalf("CreateEstate(%q): %v", e.ID, err)
		}
	}
}

// testEstates: a fresh store has the default estate; estates round-trip
// every field, list by id, update atomically, and go only when empty.
func testEstates(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ctx := t.Context()
	def, err := s.Estate(ctx, outreach.DefaultEstateID)
	if err != nil {
		t.Fatalf("a fresh store has no default estate: %v", err)
	}
	if def.CreatedAt.IsZero() || def.CreatedAt.Location().String() != "UTC" {
		t.Errorf("default estate CreatedAt = %v, want a UTC time", def.CreatedAt)
	}

	e := sunshine()
	mustCreateEstate(t, s, e)
	got, err := s.Estate(ctx, e.ID)
	if err != nil {
		t.Fatalf("Estate: %v", err)
	}
	if got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("CreatedAt %v, UpdatedAt %v: want both set, equal", got.CreatedAt, got.UpdatedAt)
	}
	got.CreatedAt, got.UpdatedAt = e.CreatedAt, e.UpdatedAt
	if !reflect.DeepEqual(got, e) {
		t.Errorf("Estate = %+v\nwant %+v", got, e)
	}
	if err := s.CreateEstate(ctx, e); !errors.Is(err, outreach.ErrExists) {
		t.Errorf("CreateEstate of an id in use: %v, want ErrExists", err)
	}
	for _, bad := range []outreach.Estate{
		{ID: "Bad Id", Name: "x"},
		{ID: "noname"},
		{ID: "sig", Name: "x", SMSSignature: "阳光花园物业"},
		{ID: "reply", Name: "x", ReplyTo: "not an address"},
		{ID: "tired", Name: "x", SurveyFatigue: "often"},
	} {
		if err := s.CreateEstate(ctx, bad); err == nil {
			t.Errorf("CreateEstate(%+v) accepted a bad estate", bad)
		}
	}
	mustCreateEstate(t, s, outreach.Estate{ID: "harbour", Name: "Harbour View"})
	list, err := s.Estates(ctx)
	if err != nil {
		t.Fatalf("Estates: %v", err)
	}
	var listed []string
	for _, e := range list {
		listed = append(listed, e.ID)
	}
	if want := []string{"default", "harbour", "sunshine"}; !slices.Equal(listed, want) {
		t.Errorf("Estates = %v, want %v", listed, want)
	}

	up, err := s.UpdateEstate(ctx, "harbour", func(e *outreach.Estate) error {
		e.ServicePhone = "+852 2345 6789"
		return nil
	})
	if err != nil || up.ServicePhone != "+852 2345 6789" || up.Name != "Harbour View" {
		t.Errorf("UpdateEstate = %+v, %v", up, err)
	}
	if _, err := s.UpdateEstate(ctx, "harbour", func(e *outreach.Estate) error { e.SMSSignature = "[x]"; return nil }); err == nil {
		t.Error("UpdateEstate stored a bad signature")
	}
	if _, err := s.UpdateEstate(ctx, "harbour", func(e *outreach.Estate) error { e.ID = "other"; return nil }); err == nil {
		t.Error("UpdateEstate changed the id")
	}
	if _, err := s.UpdateEstate(ctx, "nowhere", func(*outreach.Estate) error { return nil }); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("UpdateEstate of an unknown estate: %v, want ErrNotFound", err)
	}
	if _, err := s.Estate(ctx, "nowhere"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("Estate of an unknown id: %v, want ErrNotFound", err)
	}

	r := resident("r1")
	r.Estate = "sunshine"
	mustUpsert(t, s, r)
	if err := s.DeleteEstate(ctx, "sunshine"); !errors.Is(err, outreach.ErrInUse) {
		t.Errorf("DeleteEstate with a resident: %v, want ErrInUse", err)
	}
	if err := s.DeleteEstate(ctx, outreach.DefaultEstateID); !errors.Is(err, outreach.ErrInUse) {
		t.Errorf("DeleteEstate of the default estate: %v, want ErrInUse", err)
	}
	if err := s.DeleteEstate(ctx, "harbour"); err != nil {
		t.Errorf("DeleteEstate of an empty estate: %v", err)
	}
	if err := s.DeleteEstate(ctx, "harbour"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("DeleteEstate again: %v, want ErrNotFound", err)
	}
}

// testResidentsInEstates: a resident's estate must exist; building 3 of
// one estate is not building 3 of another, in audiences and listings.
func testResidentsInEstates(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ctx := t.Context()
	mustCreateEstate(t, s, sunshine(), outreach.Estate{ID: "harbour", Name: "Harbour View"})
	a, b, c := resident("a"), resident("b"), resident("c")
	a.Estate, a.Building = "sunshine", "3"
	b.Estate, b.Building = "harbour", "3"
	c.Building = "3" // the default estate
	mustUpsert(t, s, a, b, c)

	bad := resident("d")
	bad.Estate = "nowhere"
	if _, err := s.UpsertResidents(ctx, []outreach.Resident{resident("e"), bad}); !errors.Is(err, outreach.ErrUnknownEstate) {
		t.Errorf("UpsertResidents with an unknown estate: %v, want ErrUnknownEstate", err)
	}
	if _, err := s.Resident(ctx, "e"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("a refused batch stored a resident: %v", err)
	}
	if _, err := s.UpdateResident(ctx, "a", func(r *outreach.Resident) error { r.Estate = "nowhere"; return nil }); !errors.Is(err, outreach.ErrUnknownEstate) {
		t.Errorf("UpdateResident to an unknown estate: %v, want ErrUnknownEstate", err)
	}
	moved, err := s.UpdateResident(ctx, "c", func(r *outreach.Resident) error { r.Estate = "harbour"; return nil })
	if err != nil || moved.Estate != "harbour" {
		t.Errorf("UpdateResident moving estates = %+v, %v", moved, err)
	}

	for _, tt := range []struct {
		a    outreach.Audience
		want []string
	}{
		{outreach.Audience{Building: "3"}, []string{"a", "b", "c"}},
		{outreach.Audience{Estate: "sunshine", Building: "3"}, []string{"a"}},
		{outreach.Audience{Estate: "harbour", Building: "3"}, []string{"b", "c"}},
		{outreach.Audience{Estate: "harbour"}, []string{"b", "c"}},
		{outreach.Audience{Estate: "default", All: true}, nil},
	} {
		if got := walk(t, s, tt.a); !equalIDs(got, tt.want) {
			t.Errorf("Residents(%+v) = %v, want %v", tt.a, got, tt.want)
		}
		page, err := s.ListResidents(ctx, outreach.ResidentFilter{Audience: tt.a})
		if err != nil {
			t.Fatal(err)
		}
		var listed []string
		for _, r := range page {
			listed = append(listed, r.ID)
			if !tt.a.Matches(r) {
				t.Errorf("ListResidents(%+v) gave %+v, which the audience does not match", tt.a, r)
			}
		}
		if !equalIDs(listed, tt.want) {
			t.Errorf("ListResidents(%+v) = %v, want %v", tt.a, listed, tt.want)
		}
	}
	page, err := s.ListResidents(ctx, outreach.ResidentFilter{Estates: []string{"sunshine", "default"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].ID != "a" {
		t.Errorf("ListResidents limited to sunshine and default = %v, want [a]", page)
	}
}

// testArchiveByEstate: deliveries and replies keep the estate; Filter's
// Estate and Estates select by it.
func testArchiveByEstate(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ctx := t.Context()
	d1, d2, d3 := delivery("d1", "j", "a"), delivery("d2", "j", "b"), delivery("d3", "j", "c")
	d1.Estate, d2.Estate = "sunshine", "harbour"
	d1.Fallback = "variant elderly: missing contact"
	mustRecord(t, s, d1, d2, d3)
	if got := only(t, s, "d3"); got.Estate != outreach.DefaultEstateID {
		t.Errorf("a delivery recorded without an estate has estate %q, want the default", got.Estate)
	}
	if got := only(t, s, "d1"); got.Fallback != d1.Fallback {
		t.Errorf("Fallback = %q, want %q", got.Fallback, d1.Fallback)
	}
	for _, tt := range []struct {
		f    outreach.Filter
		want []string
	}{
		{outreach.Filter{Estate: "sunshine"}, []string{"d1"}},
		{outreach.Filter{Estates: []string{"harbour", "default"}}, []string{"d2", "d3"}},
		{outreach.Filter{Estate: "sunshine", Estates: []string{"harbour"}}, nil},
	} {
		got := ids(mustSearch(t, s, tt.f))
		slices.Sort(got)
		if !equalIDs(got, tt.want) {
			t.Errorf("Search(%+v) = %v, want %v", tt.f, got, tt.want)
		}
		var walked []string
		if err := s.Walk(ctx, tt.f, func(d outreach.Delivery) error { walked = append(walked, d.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if !equalIDs(walked, tt.want) {
			t.Errorf("Walk(%+v) = %v, want %v", tt.f, walked, tt.want)
		}
	}
	if (outreach.Filter{Estates: []string{"x"}}).Empty() {
		t.Error("a filter limited to estates is Empty")
	}

	for _, r := range []outreach.Reply{
		{ID: "in1", Channel: outreach.ChannelSMS, From: "+8613800000001", ResidentID: "a", Estate: "sunshine", Body: "5", ReceivedAt: base},
		{ID: "in2", Channel: outreach.ChannelSMS, From: "+8613800000002", ResidentID: "b", Estate: "harbour", Body: "4", ReceivedAt: base},
	} {
		if _, err := s.RecordReply(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		f    outreach.Filter
		want string
	}{
		{outreach.Filter{Estate: "sunshine"}, "in1"},
		{outreach.Filter{Estates: []string{"harbour"}}, "in2"},
	} {
		rs, err := s.Replies(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].ID != tt.want || rs[0].Estate == "" {
			t.Errorf("Replies(%+v) = %+v, want only %s with its estate", tt.f, rs, tt.want)
		}
	}
}

// testTokenEstates: a token's estates round-trip as a sorted set.
func testTokenEstates(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	secret, tok := newToken(t, "estate-a", outreach.ScopeRead)
	tok.Estates = []string{"b", "a", "b"}
	mustCreateToken(t, s, tok)
	got, err := s.TokenByHash(t.Context(), outreach.HashToken(secret))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Estates, []string{"a", "b"}) || !got.Sees("a") || got.Sees("c") || got.Sees("") {
		t.Errorf("Estates = %v (Sees a %v, c %v, default %v), want [a b]", got.Estates, got.Sees("a"), got.Sees("c"), got.Sees(""))
	}
	secret2, open2 := newToken(t, "all", outreach.ScopeRead)
	mustCreateToken(t, s, open2)
	got, err = s.TokenByHash(t.Context(), outreach.HashToken(secret2))
	if err != nil {
		t.Fatal(err)
	}
	if got.Estates != nil || !got.Sees("anything") {
		t.Errorf("an unlimited token: Estates %#v", got.Estates)
	}
	// An estate an active token is limited to stays: a new estate of the
	// same id would be the old token's. Revoked, the token holds nothing.
	mustCreateEstate(t, s, outreach.Estate{ID: "a", Name: "A"})
	if err := s.DeleteEstate(t.Context(), "a"); !errors.Is(err, outreach.ErrInUse) {
		t.Errorf("DeleteEstate of a token's estate: %v, want ErrInUse", err)
	}
	if _, err := s.RevokeToken(t.Context(), "estate-a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEstate(t.Context(), "a"); err != nil {
		t.Errorf("DeleteEstate once the token is revoked: %v", err)
	}
	_, bad := newToken(t, "bad", outreach.ScopeRead)
	bad.Estates = []string{"Not An Id"}
	if err := s.CreateToken(t.Context(), bad); err == nil {
		t.Error("CreateToken stored a bad estate id")
	}
}
