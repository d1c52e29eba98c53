package console

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

type residentsView struct {
	Form      residentsForm
	Errors    map[string]string
	Estates   []outreach.Estate
	Residents []outreach.Resident
	Next      string
	// CanImport shows the link to the import.
	CanImport bool
}

type residentsForm struct{ Estate, Building, Tag, After string }

// residentsPage is the directory: by estate, building and tag, ordered by
// id in keyset pages, limited to the user's estates in the store.
func residentsPage(c *Console, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := residentsView{
		Form:   residentsForm{Estate: q.Get("estate"), Building: strings.TrimSpace(q.Get("building")), Tag: strings.TrimSpace(q.Get("tag")), After: q.Get("after")},
		Errors: map[string]string{}, CanImport: c.allowed(r, "POST /console/import"),
	}
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Estates = estates
	f := outreach.ResidentFilter{
		Audience: outreach.Audience{Estate: v.Form.Estate, Building: v.Form.Building},
		Estates:  limitOf(r), After: v.Form.After, Limit: pageSize + 1,
	}
	if v.Form.Tag != "" {
		f.Audience.Tags = []string{v.Form.Tag}
	}
	if f.Audience.Estate != "" {
		if err := outreach.CheckEstateID(f.Audience.Estate); err != nil {
			v.Errors["estate"] = "error.choice"
		}
	}
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	} else {
		rs, err := c.cfg.Store.ListResidents(r.Context(), f)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		if len(rs) > pageSize {
			rs = rs[:pageSize]
			v.Next = rs[len(rs)-1].ID
		}
		v.Residents = rs
	}
	c.render(w, r, status, "residents", "residents.title", v)
}

// entry is one line of a resident's timeline: a message sent, a reply, a
// satisfaction survey, or a case opened or resolved.
type entry struct {
	At       time.Time
	Reply    bool
	Delivery outreach.Delivery
	Body     string // a reply's text
	Channel  outreach.Channel
	Survey   *outreach.Survey
	Case     *outreach.Case
	// Resolved: the entry is the case's resolution, not its opening.
	Resolved bool
}

type residentView struct {
	R        outreach.Resident
	Timeline []entry
	// CanEdit shows the edit link and the opt-out form; Saved and
	// OptOutsSaved say an edit or the opt-outs were just saved.
	CanEdit, Saved, OptOutsSaved bool
	OptOuts                      []optOutChoice
	Errors                       map[string]string
	// More: the timeline shows the newest timelineSize of each; there are
	// older ones (the archive search has them all).
	More bool
}

const timelineSize = 100

// residentPage is a resident's profile and communication history, newest
// first: every message, reply, satisfaction survey (with its score) and
// case (opened, and resolved with what was done). A resident of an
// estate the user does not see is not found.
func residentPage(c *Console, w http.ResponseWriter, r *http.Request) {
	res, ok := c.visibleResident(w, r)
	if !ok {
		return
	}
	c.showResident(w, r, http.StatusOK, res, nil)
}

func (c *Console) showResident(w http.ResponseWriter, r *http.Request, status int, res outreach.Resident, errs map[string]string) {
	ctx := r.Context()
	ds, err := c.cfg.Store.Search(ctx, outreach.Filter{ResidentID: res.ID, Estates: limitOf(r), Limit: timelineSize})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	replies, err := c.cfg.Store.Replies(ctx, outreach.Filter{ResidentID: res.ID, Limit: timelineSize})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	surveys, err := c.cfg.Store.Surveys(ctx, outreach.SurveyFilter{ResidentIDs: []string{res.ID}, Estates: limitOf(r), Limit: timelineSize})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	cs, err := c.cases().List(ctx, outreach.CaseFilter{ResidentID: res.ID, Estates: limitOf(r), Limit: timelineSize})
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v := residentView{R: res, More: len(ds) == timelineSize || len(replies) == timelineSize || len(surveys) == timelineSize || len(cs) == timelineSize,
		CanEdit: c.allowed(r, "POST /console/residents/{id}"), OptOuts: optOutChoices(res), Errors: errs,
		Saved: r.URL.Query().Get("saved") == "1" && status == http.StatusOK, OptOutsSaved: r.URL.Query().Get("optouts") == "1" && status == http.StatusOK}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	for i := range surveys {
		s := &surveys[i]
		at := s.SentAt
		if s.AnsweredAt != nil {
			at = *s.AnsweredAt
		}
		v.Timeline = append(v.Timeline, entry{At: at, Survey: s, Channel: s.Channel})
	}
	for i := range cs {
		k := &cs[i]
		v.Timeline = append(v.Timeline, entry{At: k.OpenedAt, Case: k})
		if k.ResolvedAt != nil {
			v.Timeline = append(v.Timeline, entry{At: *k.ResolvedAt, Case: k, Resolved: true})
		}
	}
	for _, d := range ds {
		v.Timeline = append(v.Timeline, entry{At: d.CreatedAt, Delivery: d, Channel: d.Channel})
	}
	for _, rp := range replies {
		v.Timeline = append(v.Timeline, entry{At: rp.ReceivedAt, Reply: true, Body: rp.Body, Channel: rp.Channel})
	}
	slices.SortStableFunc(v.Timeline, func(a, b entry) int { return cmp.Compare(b.At.UnixNano(), a.At.UnixNano()) })
	c.render(w, r, status, "resident", "resident.title", v)
}
