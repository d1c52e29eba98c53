package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestArchiveCampaignAndUntil: the archive searches by campaign and up to
// a day (included); a day before the first is refused next to the field;
// the export and the page links keep both filters.
func TestArchiveCampaignAndUntil(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("admin")
	ds, err := f.store.Search(t.Context(), outreach.Filter{DeliveryID: "d-n1"})
	if err != nil || len(ds) != 1 {
		t.Fatal(ds, err)
	}
	day := ds[0].CreatedAt.UTC().Format("2006-01-02")
	before := ds[0].CreatedAt.UTC().AddDate(0, 0, -1).Format("2006-01-02")

	_, _, body := c.do("GET", "/console/archive?campaign=c-north", nil)
	must(t, strings.Contains(body, "/deliveries/d-n1") && !strings.Contains(body, "/deliveries/d-n2") && !strings.Contains(body, "/deliveries/d-s1"), "campaign=c-north: %s", body)
	must(t, strings.Contains(body, `href="/console/archive/export?campaign=c-north"`), "the export link drops the campaign")
	_, _, body = c.do("GET", "/console/archive/export?campaign=c-north", nil)
	must(t, strings.Contains(body, "d-n1") && !strings.Contains(body, "d-n2"), "the export by campaign: %s", body)

	_, _, body = c.do("GET", "/console/archive?until="+day, nil)
	must(t, strings.Contains(body, "/deliveries/d-n1") && strings.Contains(body, "/deliveries/d-s1"), "until the deliveries' day (included): %s", body)
	_, _, body = c.do("GET", "/console/archive?until="+before, nil)
	must(t, strings.Contains(body, `id="no-results"`), "until the day before: %s", body)
	_, _, body = c.do("GET", "/console/archive?since="+day+"&until="+day+"&status=failed", nil)
	must(t, strings.Contains(body, "/deliveries/d-n2") && !strings.Contains(body, "/deliveries/d-n1"), "one day, failed: %s", body)

	status, _, body := c.do("GET", "/console/archive?since="+day+"&until="+before, nil, "Accept-Language", "zh-CN")
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-until">不能早于起始日期。`), "until before since = %d", status)
	status, _, body = c.do("GET", "/console/archive?until=tomorrow", nil)
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="err-until">A date as 2026-12-31.`), "a bad until = %d", status)

	// A delivery's campaign links to the campaign's search.
	_, _, body = c.do("GET", "/console/archive/deliveries/d-n1", nil)
	must(t, strings.Contains(body, `id="campaign-archive" href="/console/archive?campaign=c-north"`), "the delivery does not link its campaign")
}
