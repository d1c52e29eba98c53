package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
)

// casesPageSize is how many cases a page of the lists shows, and
// maxCasePages how deep the pages go (the store lists newest first with a
// limit, so page n reads n pages: 200 of them are 10000 cases).
const (
	casesPageSize = 50
	maxCasePages  = 200
)

// Case lists: the cases still needing work, those of them past a limit,
// and every case.
const (
	listOpen    = "open"
	listOverdue = "overdue"
	listAll     = "all"
)

var caseLists = []string{listOpen, listOverdue, listAll}

// openStates are the states of a case that still needs work
// (outreach.Case.Open).
var openStates = []outreach.CaseState{outreach.CaseOpen, outreach.CaseAcknowledged, outreach.CaseInProgress, outreach.CaseReopened}

// The steps the case page's forms take, each through the cases service
// as the API's POST /v1/cases/{id}/<step> does.
const (
	stepAcknowledge = "acknowledge"
	stepAssign      = "assign"
	stepResolve     = "resolve"
	stepClose       = "close"
)

// caseWorkers act on cases (acknowledge, resolve, close): the roles that
// add notes and call back low scores. Auditors read.
var caseWorkers = noters

// caseAssigners give cases to staff: admins and managers, who plan the
// work (as they plan campaigns).
var caseAssigners = campaigners

// noQueue is the cases service's queue when the console has none (tests,
// a console without a daemon): a case's messages are recorded in its
// history as not queued.
type noQueue struct{}

func (noQueue) Enqueue(context.Context, outreach.Job) (string, error) {
	return "", errors.New("the console has no queue")
}

// cases is the complaint loop's service.
func (c *Console) cases() *cases.Service { return c.cfg.Cases }

type casesView struct {
	Form       casesForm
	Errors     map[string]string
	Estates    []outreach.Estate
	Lists      []string
	States     []outreach.CaseState
	Categories []outreach.CaseCategory
	Cases      []caseRow
	Page       int
	More       bool
}

type casesForm struct{ List, Estate, State, Category, Page string }

// caseRow is a case in a list: Overdue when a limit of its current round
// was missed and it still needs work.
type caseRow struct {
	C       outreach.Case
	Overdue bool
	Next    string // the stage of its next pending limit ("" when none)
}

func rowOf(cs outreach.Case) caseRow {
	row := caseRow{C: cs, Overdue: overdue(cs)}
	if cs.Open() {
		var due outreach.CaseTimer
		for _, t := range cs.Timers {
			if t.Round == cs.Reopened && t.Pending() && slices.Contains(outreach.LimitStages, t.Stage) && (due.Due.IsZero() || t.Due.Before(due.Due)) {
				due = t
			}
		}
		row.Next = due.Stage
	}
	return row
}

// overdue reports whether the case still needs work and missed a limit
// of its current round (CaseFilter.Overdue).
func overdue(cs outreach.Case) bool {
	if !cs.Open() {
		return false
	}
	for _, t := range cs.Timers {
		if t.Round == cs.Reopened && t.Missed() {
			return true
		}
	}
	return false
}

// casesQuery reads the lists' filters into a CaseFilter for the user,
// reading one page more than shown.
func (c *Console) casesQuery(r *http.Request) (casesForm, outreach.CaseFilter, int, map[string]string) {
	q := r.URL.Query()
	form := casesForm{List: q.Get("list"), Estate: q.Get("estate"), State: q.Get("state"), Category: q.Get("category"), Page: q.Get("page")}
	errs := map[string]string{}
	if form.List == "" {
		form.List = listOpen
	}
	f := outreach.CaseFilter{Estates: limitOf(r)}
	switch form.List {
	case listOpen:
		f.States = openStates
	case listOverdue:
		f.States, f.Overdue = openStates, true
	case listAll:
	default:
		errs["list"] = "error.choice"
	}
	if form.State != "" {
		st := outreach.CaseState(form.State)
		switch {
		case !st.Valid():
			errs["state"] = "error.choice"
		case f.States != nil && !slices.Contains(f.States, st):
			errs["state"] = "cases.error.state" // a closed case is in no open list
		default:
			f.States = []outreach.CaseState{st}
		}
	}
	if form.Category != "" {
		if f.Category = outreach.CaseCategory(form.Category); !f.Category.Valid() {
			errs["category"] = "error.choice"
		}
	}
	if form.Estate != "" {
		switch {
		case outreach.CheckEstateID(form.Estate) != nil:
			errs["estate"] = "error.choice"
		case f.Estates != nil && !slices.Contains(f.Estates, form.Estate):
			f.Estates = []string{"\x00none"} // an estate the user does not see: nobody's
		default:
			f.Estates = []string{form.Estate}
		}
	}
	page := 1
	if form.Page != "" {
		n, err := strconv.Atoi(form.Page)
		if err != nil || n < 1 || n > maxCasePages {
			errs["page"] = "error.cursor"
		} else {
			page = n
		}
	}
	f.Limit = page*casesPageSize + 1
	return form, f, page, errs
}

// casesPage lists the cases of the user's estates, newest first, 50 a
// page: those still needing work (the default), those of them overdue, or
// all; filtered by estate, state and category. The estates are limited
// in the store.
func casesPage(c *Console, w http.ResponseWriter, r *http.Request) {
	form, f, page, errs := c.casesQuery(r)
	v := casesView{Form: form, Errors: errs, Lists: caseLists, States: outreach.CaseStates, Categories: outreach.CaseCategories, Page: page}
	estates, err := c.visibleEstates(r)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	v.Estates = estates
	if len(errs) > 0 {
		c.render(w, r, http.StatusBadRequest, "cases", "cases.title", v)
		return
	}
	list, err := c.cases().List(r.Context(), f)
	if err != nil {
		c.serverError(w, r, err)
		return
	}
	from := min(len(list), (page-1)*casesPageSize)
	shown := list[from:min(len(list), from+casesPageSize)]
	v.More = from+len(shown) < len(list)
	for _, cs := range shown {
		v.Cases = append(v.Cases, rowOf(cs))
	}
	c.render(w, r, http.StatusOK, "cases", "cases.title", v)
}

type caseView struct {
	caseRow
	Events []outreach.CaseEvent
	// Timers are the case's limits and follow-up, every round.
	Timers []outreach.CaseTimer
	// Steps are the forms the user may use on the case as it stands;
	// Staff are whom it may be assigned to.
	Steps map[string]bool
	Staff []outreach.ConsoleUser
	// Done is the step just taken; Problem a step refused (message key,
	// above the forms); Errors a field's error by step, Text what was
	// typed by step.
	Done    string
	Problem string
	Errors  map[string]string
	Text    map[string]string
}

// loadCase is the case of the request's {id} and its history; a case of
// an estate the user does not see is not found.
func (c *Console) loadCase(r *http.Request) (outreach.Case, []outreach.CaseEvent, error) {
	cs, events, err := c.cases().Get(r.Context(), r.PathValue("id"))
	if err == nil && !sessionOf(r).User.Sees(cs.Estate) {
		err = outreach.ErrNotFound
	}
	return cs, events, err
}

// casePage is one case: what was reported, its limits, its whole history
// (time, who, what) and the forms of the steps its state allows.
func casePage(c *Console, w http.ResponseWriter, r *http.Request) {
	cs, events, err := c.loadCase(r)
	if err != nil {
		c.loadFailed(w, r, err)
		return
	}
	v := caseView{Done: r.URL.Query().Get("done")}
	if !slices.Contains([]string{stepAcknowledge, stepAssign, stepResolve, stepClose}, v.Done) {
		v.Done = ""
	}
	c.showCase(w, r, http.StatusOK, cs, events, v)
}

func (c *Console) showCase(w http.ResponseWriter, r *http.Request, status int, cs outreach.Case, events []outreach.CaseEvent, v caseView) {
	v.caseRow, v.Events, v.Timers = rowOf(cs), events, cs.Timers
	v.Steps = map[string]bool{
		stepAcknowledge: c.may(r, "POST /console/cases/{id}/acknowledge") && outreach.CanMove(cs.State, outreach.CaseAcknowledged),
		stepResolve:     c.may(r, "POST /console/cases/{id}/resolve") && outreach.CanMove(cs.State, outreach.CaseResolved),
		stepClose:       c.may(r, "POST /console/cases/{id}/close") && outreach.CanMove(cs.State, outreach.CaseClosed),
		stepAssign:      c.may(r, "POST /console/cases/{id}/assign") && cs.State != outreach.CaseClosed,
	}
	if v.Steps[stepAssign] {
		staff, err := c.staffOf(r.Context(), cs.Estate)
		if err != nil {
			c.serverError(w, r, err)
			return
		}
		v.Staff = staff
	}
	c.render(w, r, status, "case", "case.title", v)
}

// staffOf are the accounts a case of estate may be assigned to: the
// enabled staff who see the estate.
func (c *Console) staffOf(ctx context.Context, estate string) ([]outreach.ConsoleUser, error) {
	users, err := c.cfg.Store.ConsoleUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("console users: %w", err)
	}
	return slices.DeleteFunc(users, func(u outreach.ConsoleUser) bool {
		return u.Disabled || u.Role != outreach.RoleStaff || !u.Sees(estate)
	}), nil
}

// caseStep serves the forms of a case's page: a POST (CSRF checked by
// guard) with the state the page showed (seen) and, for assign, the
// assignee it showed (seen_assignee). The step goes through the cases
// service, as the API's does (the same limits met, notices sent, timers
// set). A case that moved on since the page was shown (resolved by
// someone else, say) is not changed: the page says so and shows the case
// as it is now; a transition the store refuses at the write (someone
// else's step in between) says the same. Bad input is refused next to
// its field with what was typed kept; every step is in the audit log.
func caseStep(step string) func(c *Console, w http.ResponseWriter, r *http.Request) {
	field := map[string]string{stepAcknowledge: "note", stepAssign: "assignee", stepResolve: "resolution", stepClose: "note"}[step]
	return func(c *Console, w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		cs, events, err := c.loadCase(r)
		if err != nil {
			c.loadFailed(w, r, err)
			return
		}
		text := strings.TrimSpace(r.PostFormValue(field))
		v := caseView{Errors: map[string]string{}, Text: map[string]string{step: text}}
		seen := outreach.CaseState(strings.TrimSpace(r.PostFormValue("seen")))
		switch {
		case !seen.Valid():
			v.Problem = "error.form"
		case seen != cs.State || (step == stepAssign && r.PostFormValue("seen_assignee") != cs.Assignee):
			v.Problem = "case.stale"
		}
		if v.Problem != "" {
			status := http.StatusConflict
			if v.Problem == "error.form" {
				status = http.StatusBadRequest
			}
			c.showCase(w, r, status, cs, events, v)
			return
		}
		if bad := checkCaseText(step, text); bad != "" {
			v.Errors[step] = bad
			c.showCase(w, r, http.StatusBadRequest, cs, events, v)
			return
		}
		if step == stepAssign {
			staff, err := c.staffOf(ctx, cs.Estate)
			if err != nil {
				c.serverError(w, r, err)
				return
			}
			if !slices.ContainsFunc(staff, func(u outreach.ConsoleUser) bool { return u.Login == text }) {
				v.Errors[step] = "case.error.assignee"
				c.showCase(w, r, http.StatusBadRequest, cs, events, v)
				return
			}
		}
		svc := c.cases()
		do := map[string]func(ctx context.Context, id, actor, text string) (outreach.Case, error){
			stepAcknowledge: svc.Acknowledge, stepAssign: svc.Assign, stepResolve: svc.Resolve, stepClose: svc.Close,
		}[step]
		u := sessionOf(r).User
		_, err = do(ctx, cs.ID, "console:"+u.Login, text)
		var fe *cases.FieldError
		switch {
		case err == nil:
		case errors.As(err, &fe):
			v.Errors[step] = "case.error.text"
		case errors.Is(err, outreach.ErrTransition):
			v.Problem = "case.stale"
		case isNotFound(err):
			c.notFound(w, r)
			return
		default:
			c.serverError(w, r, err)
			return
		}
		if len(v.Errors) > 0 || v.Problem != "" {
			status := http.StatusBadRequest
			if v.Problem != "" {
				status = http.StatusConflict
			}
			if cs, events, err = c.loadCase(r); err != nil {
				c.serverError(w, r, err)
				return
			}
			c.showCase(w, r, status, cs, events, v)
			return
		}
		detail := string(seen)
		if text != "" {
			detail += ": " + text
		}
		c.audit(ctx, outreach.AuditEntry{Actor: u.Login, Action: "case_" + step, Target: cs.ID, Detail: detail, Addr: clientAddr(r)})
		http.Redirect(w, r, "/console/cases/"+cs.ID+"?done="+step, http.StatusSeeOther)
	}
}

// checkCaseText checks a step's text as the service will (its message
// key, "" when good): a resolution is required, a note optional, both at
// most outreach.MaxCaseDescription bytes of valid UTF-8; an assignee is
// required.
func checkCaseText(step, text string) string {
	switch {
	case text == "" && (step == stepResolve || step == stepAssign):
		return map[string]string{stepResolve: "case.error.resolution", stepAssign: "case.error.assignee"}[step]
	case text != "" && outreach.CheckCaseText("text", text) != nil, strings.ContainsRune(text, 0):
		return "case.error.text"
	}
	return ""
}
