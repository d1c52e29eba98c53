package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// step GETs a step of the create flow with form and returns the status
// and the page.
func (c *client) step(form url.Values) (int, string) {
	c.t.Helper()
	status, _, body := c.do("GET", "/console/campaigns/new?"+form.Encode(), nil)
	return status, body
}

// TestNewCampaignFlow walks the create flow as a manager of north: the
// audience's count and sample, previews for real residents (the elderly
// one gets the elderly variant), the schedule, and the campaign created
// once however often the confirm is sent; each step's errors show next to
// the field, in the user's language, and nothing is stored until the end.
func TestNewCampaignFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, csrf := f.sessionFor(t, "manager-north")
	before, _ := f.store.Campaigns(t.Context())

	status, body := c.step(url.Values{})
	must(t, status == http.StatusOK && strings.Contains(body, `id="f-name"`) && strings.Contains(body, `name="nonce"`), "the first step = %d", status)
	nonce := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindStringSubmatch(body)
	if nonce == nil {
		t.Fatal("no nonce in the first step")
	}
	form := url.Values{"nonce": {nonce[1]}, "kind": {"maintenance_notice"}, "go": {"audience"}}

	// No name: the kind step again, the error next to the field.
	status, body = c.step(form)
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="error-name"`) && strings.Contains(body, "Give the campaign a name"), "no name = %d", status)
	form.Set("name", "Water off in building 1")

	// The audience: north is the manager's only estate; its two residents.
	status, body = c.step(form)
	must(t, status == http.StatusOK && strings.Contains(body, `<b id="count">2</b>`) && strings.Contains(body, `href="/console/residents/n1"`) &&
		!strings.Contains(body, "s1"), "the audience step = %d: %s", status, body)
	form.Set("estate", "south")
	status, body = c.step(form)
	must(t, status == http.StatusOK && strings.Contains(body, `id="error-estate"`) && !strings.Contains(body, "Sun South"), "estate south for the manager of north = %d", status)
	form.Set("go", "data")
	if status, _ = c.step(form); status != http.StatusBadRequest {
		t.Errorf("on to data with estate south = %d, want 400", status)
	}
	form.Set("estate", "north")
	form.Set("building", "1")
	form.Set("go", "audience")
	_, body = c.step(form)
	must(t, strings.Contains(body, `<b id="count">1</b>`), "building 1 of north: %s", body)
	form.Del("building")

	// Data: a bad line is named.
	form.Set("data", "title=Water off\nnonsense")
	form.Set("go", "preview")
	status, body = c.step(form)
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="error-data"`) && strings.Contains(body, "Line 2"), "a bad data line = %d", status)
	form.Set("data", "title=Water off\narea=Building 1\nstart=2026-12-04T09:00:00+08:00\nend=2026-12-04T12:00:00+08:00\nreason=Pipe repair\ncontact=0571-8888")
	form["channels"] = []string{"sms"}

	// The preview: n1 is elderly, n2 (named like markup) regular.
	status, body = c.step(form)
	must(t, status == http.StatusOK && strings.Contains(body, `id="preview-n1" data-role="preview.elderly"`) && strings.Contains(body, `id="preview-n2" data-role="preview.regular"`),
		"the preview step = %d: %s", status, body)
	elderly := body[strings.Index(body, `id="preview-n1"`):]
	elderly = elderly[:strings.Index(elderly, "</article>")]
	must(t, strings.Contains(elderly, `<b class="variant">elderly</b>`) && strings.Contains(elderly, "segment(s)") && strings.Contains(elderly, "0571-8888"), "n1's preview: %s", elderly)
	must(t, !strings.Contains(body, "<img src=x"), "a resident's name is markup in the preview")
	must(t, strings.Contains(body, "No resident of this audience is a new resident."), "the missing new resident is not said")

	// When: a time that has passed, then a bad cron expression, then now.
	form.Set("go", "confirm")
	form.Set("when", "at")
	form.Set("at", "2020-01-01T09:00")
	status, body = c.step(form)
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="error-at"`), "a past time = %d", status)
	form.Set("when", "every")
	form.Set("every", "every day")
	status, body = c.step(form)
	must(t, status == http.StatusBadRequest && strings.Contains(body, `id="error-every"`) && strings.Contains(body, "cron expression"), "a bad cron = %d", status)
	form.Set("when", "now")
	status, body = c.step(form)
	must(t, status == http.StatusOK && strings.Contains(body, `<b id="confirm-count">2</b>`) && strings.Contains(body, `action="/console/campaigns"`), "the confirm step = %d: %s", status, body)

	if after, _ := f.store.Campaigns(t.Context()); len(after) != len(before) {
		t.Fatalf("the flow stored %d campaigns before the confirm", len(after)-len(before))
	}
	// Confirm: the hidden fields of the page, as the browser sends them.
	post := url.Values{"csrf": {csrf}}
	for _, m := range hiddenInput.FindAllStringSubmatch(body, -1) {
		if m[1] != "csrf" {
			post.Add(m[1], strings.ReplaceAll(m[2], "&#xA;", "\n"))
		}
	}
	status, loc, _ := c.do("POST", "/console/campaigns", post)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/campaigns/water-off-in-building-1-") {
		t.Fatalf("create = %d %q", status, loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/console/campaigns/"), "?created=1")
	cp, err := f.store.Campaign(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Audience.Estate != "north" || cp.Kind != outreach.KindMaintenanceNotice || cp.Data["contact"] != "0571-8888" || len(cp.Channels) != 1 || cp.State != outreach.CampaignScheduled {
		t.Errorf("the campaign created: %+v", cp)
	}
	// The same confirm again (a double click, a reload): the same campaign.
	status, loc2, _ := c.do("POST", "/console/campaigns", post)
	must(t, status == http.StatusSeeOther && loc2 == loc, "the confirm again = %d %q, want %q", status, loc2, loc)
	if after, _ := f.store.Campaigns(t.Context()); len(after) != len(before)+1 {
		t.Errorf("%d campaigns created, want 1", len(after)-len(before))
	}
	log, _ := f.store.Audit(t.Context(), outreach.AuditFilter{})
	if len(log) != 1 || log[0].Action != "campaign_create" || log[0].Target != id {
		t.Errorf("audit log = %+v", log)
	}
	// Staff may not.
	s, scsrf := f.sessionFor(t, "staff-north")
	if status, _ := s.step(url.Values{}); status != http.StatusForbidden {
		t.Errorf("staff open the create flow: %d", status)
	}
	post.Set("csrf", scsrf)
	post.Set("nonce", "other")
	if status, _, _ := s.do("POST", "/console/campaigns", post); status != http.StatusForbidden {
		t.Errorf("staff create: %d", status)
	}
}

// TestNewCampaignChinese: the errors are in the user's language.
func TestNewCampaignChinese(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, _ := f.sessionFor(t, "admin")
	status, _, body := c.do("GET", "/console/campaigns/new?go=audience&kind=welcome", nil, "Accept-Language", "zh-CN,zh;q=0.9")
	must(t, status == http.StatusBadRequest && strings.Contains(body, "请填写活动名称"), "no name in Chinese = %d: %s", status, body)
}
