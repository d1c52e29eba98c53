package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
)

// campaignsPageSize is how many campaigns a page of the list shows.
const campaignsPageSize = 50

// seesAudience reports whether the request's user may see a campaign sent
// to a: a limited user only one within one of its estates (an audience of
// every estate is nobody's in particular), as for API tokens.
func seesAudience(r *http.Request, a outreach.Audience) bool {
	u := sessionOf(r).User
	return !u.Limited() || (a.Estate != "" && u.Sees(a.Estate))
}

// campaignRow is a campaign with what became of its jobs.
type campaignRow struct {
	C      outreach.Campaign
	Counts outreach.CampaignCounts
	Bar    []barPart
}

// barPart is one stretch of a progress bar (an SVG rect: the pages' CSP
// allows no inline style), in percent of the targeted jobs.
type barPart struct {
	Class    string
	X, Width float64
}

// progressBar splits n's targeted jobs into delivered, sent, failed,
// suppressed, deferred and the rest (queued).
func progressBar(n outreach.CampaignCounts) []barPart {
	total := max(n.Targeted, n.Archived())
	if total == 0 {
		return nil
	}
	var out []barPart
	x := 0.0
	for _, p := range []struct {
		class string
		n     int64
	}{{"b-delivered", n.Delivered}, {"b-sent", n.Sent}, {"b-failed", n.Failed}, {"b-suppressed", n.Suppressed}, {"b-deferred", n.Deferred + n.Retrying}} {
		if p.n == 0 {
			continue
		}
		w := float64(p.n) * 100 / float64(total)
		out = append(out, barPart{Class: p.class, X: x, Width: w})
		x += w
	}
	return out
}

// live reports whether a campaign's figures still move (or are about to:
// its next run is due within a minute), so that its page polls for them.
func live(c outreach.Campaign, n outreach.CampaignCounts, now time.Time) bool {
	switch c.State {
	case outreach.CampaignRunning:
		return true
	case outreach.CampaignScheduled:
		if c.NextRun != nil && c.NextRun.Before(now.Add(time.Minute)) {
			return true
		}
		return n.Queued > 0 || n.Retrying > 0 || n.Deferred > 0
	case outreach.CampaignPaused, outreach.CampaignCancelled:
		return n.Queued > 0 || n.Retrying > 0 || n.Deferred > 0
	}
	return false
}

type campaignsView struct {
	Form      campaignsForm
	Errors    map[string]string
	Estates   []outreach.Estate
	States    []outreach.CampaignState
	Campaigns []campaignRow
	Page      int
	More      bool
	// Live: some campaign on the page is moving; the list polls.
	Live      bool
	CanCreate bool
}

type campaignsForm struct{ Estate, State, Page string }

// campaignsPage lists the campaigns the user sees, newest first, with
// their progress (targeted, sent, delivered, failed, suppressed,
// deferred), 50 a page. While one is running, htmx refreshes the list
// every few seconds.
func campaignsPage(c *Console, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := campaignsView{Form: campaignsForm{Estate: q.Get("estate"), State: q.Get("state"), Page: q.Get("page")},
		Errors: map[string]string{}, States: outreach.CampaignStates, CanCreate: c.may(r, "GET /console/campaigns/new")}
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Estates = estates
	if v.Form.State != "" && !outreach.CampaignState(v.Form.State).Valid() {
		v.Errors["state"] = "error.choice"
	}
	if v.Form.Estate != "" && outreach.CheckEstateID(v.Form.Estate) != nil {
		v.Errors["estate"] = "error.choice"
	}
	v.Page = 1
	if v.Form.Page != "" {
		if v.Page, err = strconv.Atoi(v.Form.Page); err != nil || v.Page < 1 {
			v.Errors["page"], v.Page = "error.cursor", 1
		}
	}
	if len(v.Errors) > 0 {
		c.render(w, r, http.StatusBadRequest, "campaigns", "campaigns.title", v)
		return
	}
	all, err := c.campaigns().List(r.Context())
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	all = slices.DeleteFunc(all, func(cp outreach.Campaign) bool {
		return !seesAudience(r, cp.Audience) || (v.Form.Estate != "" && cp.Audience.Estate != v.Form.Estate) ||
			(v.Form.State != "" && string(cp.State) != v.Form.State)
	})
	from := (v.Page - 1) * campaignsPageSize
	if from > len(all) {
		from = len(all)
	}
	page := all[from:min(len(all), from+campaignsPageSize)]
	v.More = from+len(page) < len(all)
	for _, cp := range page {
		byStatus, err := c.cfg.Store.CampaignStatusCounts(r.Context(), cp.ID)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		n := outreach.CountCampaign(cp.Targeted, byStatus)
		v.Campaigns = append(v.Campaigns, campaignRow{C: cp, Counts: n, Bar: progressBar(n)})
		v.Live = v.Live || live(cp, n, c.now())
	}
	c.render(w, r, http.StatusOK, "campaigns", "campaigns.title", v)
}

type campaignView struct {
	campaignRow
	Live bool
	// CanSteer shows the pause, resume and cancel buttons.
	CanSteer bool
	// Done is the change just made; Problem a change refused (message
	// key), with Detail.
	Done, Problem string
	// Created: the create flow just made it.
	Created     bool
	Deliveries  []outreach.Delivery
	After, Next string
}

// loadCampaign is the campaign of the request's {id} with its counts; a
// campaign the user does not see is not found.
func (c *Console) loadCampaign(r *http.Request) (campaign.View, error) {
	v, err := c.campaigns().Show(r.Context(), r.PathValue("id"))
	if err == nil && !seesAudience(r, v.Audience) {
		err = outreach.ErrNotFound
	}
	return v, err
}

// campaignPage is one campaign: its plan, its progress (polled while it
// moves), the pause, resume and cancel buttons its state allows, and its
// deliveries, newest first, in keyset pages.
func campaignPage(c *Console, w http.ResponseWriter, r *http.Request) {
	cv, err := c.loadCampaign(r)
	if err != nil {
		c.loadFailed(w, r, err)
		return
	}
	q := r.URL.Query()
	v := campaignView{Done: q.Get("done"), After: q.Get("after"), Created: q.Get("created") == "1"}
	if !slices.Contains(campaign.Ops, campaign.Op(v.Done)) {
		v.Done = ""
	}
	c.showCampaign(w, r, http.StatusOK, cv, v)
}

func (c *Console) showCampaign(w http.ResponseWriter, r *http.Request, status int, cv campaign.View, v campaignView) {
	v.campaignRow = campaignRow{C: cv.Campaign, Counts: cv.Counts, Bar: progressBar(cv.Counts)}
	v.Live = live(cv.Campaign, cv.Counts, c.now())
	v.CanSteer = c.may(r, "POST /console/campaigns/{id}/pause")
	f := outreach.Filter{Campaign: cv.ID, Estates: limitOf(r), Limit: pageSize + 1}
	if v.After != "" {
		var err error
		if f.After, err = outreach.ParseCursor(v.After); err != nil {
			v.Problem, v.After, f.After = "error.cursor", "", outreach.Cursor{}
		}
	}
	ds, err := c.cfg.Store.Search(r.Context(), f)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	if len(ds) > pageSize {
		ds = ds[:pageSize]
		last := ds[len(ds)-1]
		v.Next = outreach.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}.String()
	}
	v.Deliveries = ds
	c.render(w, r, status, "campaign", "campaign.title", v)
}

// steer serves the pause, resume and cancel buttons: a POST (CSRF checked
// by guard) with the state the page showed (seen). A campaign that moved
// on since (started, or changed by someone else) is not changed: the page
// says so and shows where it stands now. Every change is in the audit
// log.
func steer(op campaign.Op) func(c *Console, w http.ResponseWriter, r *http.Request) {
	return func(c *Console, w http.ResponseWriter, r *http.Request) {
		cv, err := c.loadCampaign(r)
		if err != nil {
			c.loadFailed(w, r, err)
			return
		}
		seen := outreach.CampaignState(strings.TrimSpace(r.PostFormValue("seen")))
		if seen != "" && !seen.Valid() {
			c.showCampaign(w, r, http.StatusBadRequest, cv, campaignView{Problem: "error.form"})
			return
		}
		_, err = c.campaigns().Steer(r.Context(), cv.ID, op, seen)
		var problem string
		switch {
		case err == nil:
		case errors.Is(err, campaign.ErrStale):
			problem = "campaign.stale"
		case errors.Is(err, campaign.ErrState):
			problem = "campaign.badstate"
		case isNotFound(err):
			c.notFound(w, r)
			return
		default:
			c.serverError(w, r, err)
			return
		}
		if problem != "" {
			if cv, err = c.loadCampaign(r); err != nil {
				c.serverError(w, r, err)
				return
			}
			c.showCampaign(w, r, http.StatusConflict, cv, campaignView{Problem: problem})
			return
		}
		c.audit(r.Context(), outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "campaign_" + string(op), Target: cv.ID,
			Detail: string(seen), Addr: clientAddr(r)})
		http.Redirect(w, r, "/console/campaigns/"+cv.ID+"?done="+string(op), http.StatusSeeOther)
	}
}

// campaigns is the campaign service.
func (c *Console) campaigns() *campaign.Service { return c.cfg.Campaigns }

// may reports whether the request's user may open the page of pattern.
func (c *Console) may(r *http.Request, pattern string) bool {
	s := sessionOf(r)
	if s == nil {
		return false
	}
	for _, p := range c.table() {
		if p.Pattern == pattern {
			return p.allows(s.User)
		}
	}
	return false
}
