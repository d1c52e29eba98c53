package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestCampaignsList: the list shows each campaign's progress from the
// archive, and a manager of north only north's campaign.
func TestCampaignsList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, _ := f.sessionFor(t, "admin")
	status, _, body := c.do("GET", "/console/campaigns", nil)
	must(t, status == http.StatusOK, "GET /console/campaigns = %d", status)
	for _, want := range []string{"North water notice", "South campaign", "Everyone greeting", `id="new-campaign"`} {
		must(t, strings.Contains(body, want), "the admin's campaign list lacks %q", want)
	}
	// c-north: 2 targeted, d-n1 delivered (the other delivery has no campaign).
	row := body[strings.Index(body, `id="c-c-north"`):]
	row = row[:strings.Index(row, "</tr>")]
	must(t, strings.Contains(row, `targeted <b>2</b>`) && strings.Contains(row, `delivered <b>1</b>`) && strings.Contains(row, `queued <b>1</b>`), "c-north's row reads %s", row)
	must(t, strings.Contains(body, `hx-trigger="every 3s"`), "a running campaign's list does not poll")

	m, _ := f.sessionFor(t, "manager-north")
	_, _, body = m.do("GET", "/console/campaigns", nil)
	must(t, strings.Contains(body, "North water notice") && !strings.Contains(body, "South campaign") && !strings.Contains(body, "Everyone greeting"),
		"the manager of north's list: %s", body)
	// Staff read, and get no buttons.
	s, _ := f.sessionFor(t, "staff-north")
	_, _, body = s.do("GET", "/console/campaigns/c-north", nil)
	must(t, strings.Contains(body, "North water notice") && !strings.Contains(body, `id="pause"`) && !strings.Contains(body, `id="new-campaign"`), "staff see buttons: %s", body)
	if status, _, _ := s.do("GET", "/console/campaigns?state=sleeping", nil); status != http.StatusBadRequest {
		t.Errorf("an unknown state = %d, want 400", status)
	}
}

// TestCampaignSteer: pause and resume from the campaign's page, in the
// audit log; a form showing a state the campaign has left is refused and
// says so, changing nothing.
func TestCampaignSteer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, csrf := f.sessionFor(t, "manager-north")
	_, _, body := c.do("GET", "/console/campaigns/c-north", nil)
	must(t, strings.Contains(body, `id="pause"`) && strings.Contains(body, `name="seen" value="running"`), "the page of a running campaign has no pause button: %s", body)
	must(t, strings.Contains(body, `href="/console/archive/deliveries/d-n1"`), "the campaign's deliveries lack d-n1")

	status, loc, _ := c.do("POST", "/console/campaigns/c-north/pause", url.Values{"csrf": {csrf}, "seen": {"running"}})
	must(t, status == http.StatusSeeOther && loc == "/console/campaigns/c-north?done=pause", "pause = %d %q", status, loc)
	if cp, _ := f.store.Campaign(t.Context(), "c-north"); cp.State != outreach.CampaignPaused {
		t.Errorf("after pause the campaign is %s", cp.State)
	}
	// The same form again (it showed "running"): stale.
	status, _, body = c.do("POST", "/console/campaigns/c-north/cancel", url.Values{"csrf": {csrf}, "seen": {"running"}})
	must(t, status == http.StatusConflict && strings.Contains(body, "changed while this page was open") && strings.Contains(body, `data-state="paused"`),
		"a stale cancel = %d: %s", status, body)
	if cp, _ := f.store.Campaign(t.Context(), "c-north"); cp.State != outreach.CampaignPaused {
		t.Errorf("a stale cancel changed the campaign to %s", cp.State)
	}
	status, _, _ = c.do("POST", "/console/campaigns/c-north/resume", url.Values{"csrf": {csrf}, "seen": {"paused"}})
	must(t, status == http.StatusSeeOther, "resume = %d", status)
	log, err := f.store.Audit(t.Context(), outreach.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Actor+":"+a.Action+":"+a.Target)
	}
	if got := strings.Join(actions, " "); got != "manager-north:campaign_resume:c-north manager-north:campaign_pause:c-north" {
		t.Errorf("audit log = %s", got)
	}
	// Another estate's campaign: not found, unchanged.
	status, _, _ = c.do("POST", "/console/campaigns/c-south/pause", url.Values{"csrf": {csrf}})
	must(t, status == http.StatusNotFound, "the manager of north pauses south's campaign: %d", status)
	if cp, _ := f.store.Campaign(t.Context(), "c-south"); cp.State != outreach.CampaignScheduled {
		t.Errorf("south's campaign is %s", cp.State)
	}
}
