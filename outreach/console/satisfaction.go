package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/survey"
)

// satisfactionView is the satisfaction page: the satisfied rate by
// estate, building or service, the weekly rate as a chart with the 70%
// line, and the call-back queue of low scores.
type satisfactionView struct {
	Form    satisfactionForm
	Errors  map[string]string
	Estates []outreach.Estate
	Bys     []string
	Report  survey.Report
	Chart   chart
	Queue   []outreach.Survey
	// CanCallBack shows the called-back forms; Done names the survey just
	// closed; NoteErr holds a refused note by survey id.
	CanCallBack bool
	Done        string
	NoteErr     map[string]string
	Note        map[string]string
}

type satisfactionForm struct {
	Estate, Building, Service, By, Weeks string
}

// chart is a server-rendered SVG bar chart of the weekly satisfied rate.
type chart struct {
	Width, Height, Target float64 // Target: the y of the 70% line
	Bars                  []bar
}

type bar struct {
	X, Y, W, H float64
	Label      string // the week
	Rate       int    // percent
	Responses  int
	Below      bool
	Empty      bool // no answers that week
}

const (
	chartWidth, chartHeight = 640.0, 200.0
	defaultWeeks            = 12
	maxWeeks                = 104
	callbackQueueSize       = 100
	maxCallbackNote         = 2000
)

// newChart draws a bar per week from since, weeks of them: a week without
// answers has a slot and no bar.
func newChart(rows []survey.Row, since time.Time, weeks int) chart {
	c := chart{Width: chartWidth, Height: chartHeight, Target: chartHeight * (1 - survey.Target)}
	byWeek := map[string]survey.Row{}
	for _, r := range rows {
		byWeek[r.Week] = r
	}
	step := chartWidth / float64(weeks)
	for i := range weeks {
		y, w := since.AddDate(0, 0, 7*i+3).UTC().ISOWeek() // the week's Thursday: its ISO week
		label := fmt.Sprintf("%04d-W%02d", y, w)
		r, ok := byWeek[label]
		if !ok || r.Responses == 0 {
			c.Bars = append(c.Bars, bar{X: float64(i)*step + step*0.15, W: step * 0.7, Y: chartHeight, Label: label, Empty: true})
			continue
		}
		h := chartHeight * r.SatisfiedRate
		c.Bars = append(c.Bars, bar{X: float64(i)*step + step*0.15, W: step * 0.7, Y: chartHeight - h, H: h,
			Label: label, Rate: percent(r.SatisfiedRate), Responses: r.Responses, Below: r.BelowTarget})
	}
	return c
}

// satisfactionQuery reads the page's filters.
func (c *Console) satisfactionQuery(r *http.Request) (satisfactionForm, survey.ReportOptions, int, map[string]string) {
	q := r.URL.Query()
	form := satisfactionForm{Estate: q.Get("estate"), Building: strings.TrimSpace(q.Get("building")),
		Service: strings.TrimSpace(q.Get("service")), By: q.Get("by"), Weeks: strings.TrimSpace(q.Get("weeks"))}
	errs := map[string]string{}
	if form.By == "" {
		form.By = survey.ByEstate
	}
	if form.By == survey.ByWeek || survey.CheckBy(form.By) != nil {
		errs["by"] = "error.choice"
	}
	if form.Estate != "" && outreach.CheckEstateID(form.Estate) != nil {
		errs["estate"] = "error.choice"
	}
	weeks := defaultWeeks
	if form.Weeks != "" {
		n, err := strconv.Atoi(form.Weeks)
		if err != nil || n < 1 || n > maxWeeks {
			errs["weeks"] = "satisfaction.error.weeks"
		} else {
			weeks = n
		}
	}
	opt := survey.ReportOptions{Estates: limitOf(r), Estate: form.Estate, Building: form.Building, Service: form.Service, By: form.By,
		Since: startOfWeek(c.now(), c.cfg.TimeZone).AddDate(0, 0, -7*(weeks-1))}
	return form, opt, weeks, errs
}

// satisfactionPage shows the rates and the call-back queue, limited to
// the user's estates (the report and the queue filter in the store).
func satisfactionPage(c *Console, w http.ResponseWriter, r *http.Request) {
	c.showSatisfaction(w, r, http.StatusOK, nil, nil)
}

func (c *Console) showSatisfaction(w http.ResponseWriter, r *http.Request, status int, noteErr, note map[string]string) {
	ctx := r.Context()
	form, opt, weeks, errs := c.satisfactionQuery(r)
	v := satisfactionView{Form: form, Errors: errs, Bys: []string{survey.ByEstate, survey.ByBuilding, survey.ByService},
		Done: r.URL.Query().Get("done"), NoteErr: noteErr, Note: note}
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Estates = estates
	for _, p := range c.table() {
		if p.Pattern == "POST /console/satisfaction/surveys/{id}/callback" {
			v.CanCallBack = p.allows(sessionOf(r).User)
		}
	}
	if len(errs) > 0 {
		c.render(w, r, http.StatusBadRequest, "satisfaction", "satisfaction.title", v)
		return
	}
	now := c.now()
	if v.Report, err = survey.BuildReport(ctx, c.cfg.Store, opt, now); err != nil {
		c.serverError(w, r, err)
		return
	}
	weekly := opt
	weekly.By = survey.ByWeek
	rep, err := survey.BuildReport(ctx, c.cfg.Store, weekly, now)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Chart = newChart(rep.Rows, opt.Since, weeks)
	f := outreach.SurveyFilter{Estates: limitOf(r), Building: form.Building, Service: form.Service, CallbackOpen: true, Limit: callbackQueueSize}
	if form.Estate != "" {
		if f.Estates != nil && !slices.Contains(f.Estates, form.Estate) {
			f.Estates = []string{"\x00none"} // an estate the user does not see: nobody's
		} else {
			f.Estates = []string{form.Estate}
		}
	}
	queue, err := c.cfg.Store.Surveys(ctx, f)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	// The most overdue first.
	slices.SortStableFunc(queue, func(a, b outreach.Survey) int { return a.CallbackDue.Compare(*b.CallbackDue) })
	v.Queue = queue
	c.render(w, r, status, "satisfaction", "satisfaction.title", v)
}

// callBack closes a low score's call-back task with what staff found or
// did (survey.Service.CallBack, as `outreach surveys note`), in the
// survey's history and the audit log. A survey of an estate the user
// does not see is not found; an empty or too long note is refused next
// to the field.
func callBack(c *Console, w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	sv, err := c.cfg.Store.Survey(ctx, id)
	if isNotFound(err) || (err == nil && !sessionOf(r).User.Sees(sv.Estate)) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	bad := ""
	switch {
	case note == "":
		bad = "satisfaction.error.empty"
	case len([]rune(note)) > maxCallbackNote || strings.ContainsRune(note, 0):
		bad = "delivery.error.note"
	}
	if bad == "" {
		svc := &survey.Service{Store: c.cfg.Store, Now: c.now}
		_, err = svc.CallBack(ctx, id, note)
		switch {
		case errors.Is(err, survey.ErrNoCallback):
			bad = "satisfaction.error.done"
		case errors.Is(err, survey.ErrEmptyNote):
			bad = "satisfaction.error.empty"
		case err != nil:
			c.serverError(w, r, err)
			return
		}
	}
	if bad != "" {
		errs := map[string]string{id: bad}
		if bad == "satisfaction.error.done" {
			errs[""] = bad // no longer queued: said above the queue
		}
		c.showSatisfaction(w, r, http.StatusBadRequest, errs, map[string]string{id: note})
		return
	}
	c.audit(ctx, outreach.AuditEntry{Actor: sessionOf(r).User.Login, Action: "survey_called_back", Target: id,
		Detail: fmt.Sprintf("resident %s, score %d: %s", sv.ResidentID, sv.Score, note), Addr: clientAddr(r)})
	back := "/console/satisfaction?done=" + id
	if q := r.URL.RawQuery; q != "" {
		back += "&" + q
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
