package outreach_test

import (
	"errors"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []outreach.Cursor{
		{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ID: "0f3a"},
		{CreatedAt: time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), ID: "id:with:colons 和中文"},
		{CreatedAt: time.UnixMicro(0).UTC(), ID: ""},
	} {
		got, err := outreach.ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCursor(%q) = %+v, %v; want %+v", c.String(), got, err, c)
		}
	}
	if c, err := outreach.ParseCursor(""); err != nil || !c.IsZero() || (outreach.Cursor{}).String() != "" {
		t.Errorf(`ParseCursor("") = %+v, %v; want the zero cursor`, c, err)
	}
	for _, bad := range []string{"!!!", "bm8tY29sb24", "eHl6OmFiYw"} { // not base64; "no-colon"; "xyz:abc"
		if _, err := outreach.ParseCursor(bad); !errors.Is(err, outreach.ErrBadCursor) {
			t.Errorf("ParseCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
}

func TestNextCursor(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	page := []outreach.Delivery{{ID: "b", CreatedAt: at.Add(time.Second)}, {ID: "a", CreatedAt: at}}
	if c, ok := outreach.NextCursor(page, 2); !ok || c.ID != "a" || !c.CreatedAt.Equal(at) {
		t.Errorf("NextCursor(full page) = %+v, %v; want after a", c, ok)
	}
	if _, ok := outreach.NextCursor(page, 3); ok {
		t.Error("NextCursor(short page) says there is more")
	}
	if _, ok := outreach.NextCursor(nil, 0); ok {
		t.Error("NextCursor(empty) says there is more")
	}
}

func TestFilterEmptyIgnoresPaging(t *testing.T) {
	t.Parallel()
	if !(outreach.Filter{Limit: 5, After: outreach.Cursor{ID: "x"}}).Empty() {
		t.Error("a filter with only Limit and After is not Empty: DeleteDeliveries would delete everything")
	}
	if (outreach.Filter{Building: "3"}).Empty() || (outreach.Filter{DeliveryID: "d"}).Empty() {
		t.Error("a filter on building or delivery is Empty")
	}
}
