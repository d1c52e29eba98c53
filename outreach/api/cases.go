package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/cases"
)

// The complaint loop's routes (docs/cases.md):
//
//	POST /v1/cases                   (scope manage) open a case; Idempotency-Key as on /v1/jobs
//	GET  /v1/cases                   (scope read)   list, filtered
//	GET  /v1/cases/report            (scope read)   the cases report
//	GET  /v1/cases/{id}              (scope read)   one case and its history
//	POST /v1/cases/{id}/acknowledge  (scope manage) staff took it on
//	POST /v1/cases/{id}/start        (scope manage) work began
//	POST /v1/cases/{id}/assign       (scope manage) give it to a staff member or team
//	POST /v1/cases/{id}/note         (scope manage) add a note to its history
//	POST /v1/cases/{id}/resolve      (scope manage) what was done: the resolution notice goes
//	POST /v1/cases/{id}/close        (scope manage) close it
//
// An estate-limited token sees and changes its estates' cases only:
// another estate's case is not found (404), as an id nobody has.
func caseRoutes(svc *cases.Service, logger *slog.Logger) []Route {
	h := caseHandler{svc: svc, logger: logger}
	return []Route{
		{"POST /v1/cases", scopesManage, http.HandlerFunc(h.open)},
		{"GET /v1/cases", scopesRead, http.HandlerFunc(h.list)},
		{"GET /v1/cases/report", scopesRead, http.HandlerFunc(h.report)},
		{"GET /v1/cases/{id}", scopesRead, http.HandlerFunc(h.show)},
		{"POST /v1/cases/{id}/acknowledge", scopesManage, h.step("note", svc.Acknowledge)},
		{"POST /v1/cases/{id}/start", scopesManage, h.step("note", svc.Start)},
		{"POST /v1/cases/{id}/assign", scopesManage, h.step("assignee", svc.Assign)},
		{"POST /v1/cases/{id}/note", scopesManage, h.step("note", svc.Note)},
		{"POST /v1/cases/{id}/resolve", scopesManage, h.step("resolution", svc.Resolve)},
		{"POST /v1/cases/{id}/close", scopesManage, h.step("note", svc.Close)},
	}
}

type caseHandler struct {
	svc    *cases.Service
	logger *slog.Logger
}

func (h caseHandler) internal(w http.ResponseWriter, r *http.Request, err error) {
	archiveHandler{logger: h.logger}.internal(w, r, err)
}

// actor is who did it, for the case's history: the token's name.
func actor(r *http.Request) string {
	if t := tokenOf(r); t.Name != "" {
		return "api:" + t.Name
	}
	return "api"
}

// caseInput is the body of POST /v1/cases.
type caseInput struct {
	Estate      string `json:"estate"`
	ResidentID  string `json:"resident_id"`
	Building    string `json:"building"`
	Unit        string `json:"unit"`
	Category    string `json:"category"`
	Urgency     string `json:"urgency"`
	Received    string `json:"received"`
	Description string `json:"description"`
	Assignee    string `json:"assignee"`
}

// caseError answers the service's errors: bad input names its field,
// an impossible step is 409, an unknown case 404.
func (h caseHandler) caseError(w http.ResponseWriter, r *http.Request, id string, err error) {
	var fe *cases.FieldError
	switch {
	case errors.As(err, &fe):
		status := http.StatusBadRequest
		if (fe.Field == "resident_id" || fe.Field == "estate") && strings.HasPrefix(fe.Err.Error(), "no ") {
			status = http.StatusUnprocessableEntity
			if tokenOf(r).Limited() {
				status = http.StatusNotFound // as another estate's
			}
		}
		writeError(w, errorf(status, fe.Field, "%s", fe.Error()))
	case errors.Is(err, cases.ErrIdempotencyConflict):
		writeError(w, errorf(http.StatusUnprocessableEntity, "Idempotency-Key", "%v; use a new Idempotency-Key for a new case", err))
	case errors.Is(err, outreach.ErrTransition):
		writeError(w, errorf(http.StatusConflict, "state", "%v", err))
	case errors.Is(err, outreach.ErrNotFound):
		writeError(w, errorf(http.StatusNotFound, "id", "case %q not found", id))
	default:
		h.internal(w, r, err)
	}
}

func (h caseHandler) open(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if _, given := r.Header["Idempotency-Key"]; given && !validKey(key) {
		writeError(w, errorf(http.StatusBadRequest, "Idempotency-Key", "Idempotency-Key: want 1 to %d visible ASCII characters", maxJobID))
		return
	}
	var in caseInput
	if apiErr := decodeBody(w, r, &in); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if len(in.Description) > outreach.MaxCaseDescription {
		writeError(w, errorf(http.StatusRequestEntityTooLarge, "description", "description: %d bytes, at most %d", len(in.Description), outreach.MaxCaseDescription))
		return
	}
	if t := tokenOf(r); t.Limited() && in.Estate != "" && !t.Sees(in.Estate) {
		writeError(w, estateNotFound(in.Estate))
		return
	}
	if in.ResidentID != "" && tokenOf(r).Limited() {
		res, err := h.svc.Store.Resident(r.Context(), in.ResidentID)
		if err == nil && !sees(r, res.EstateID()) || errors.Is(err, outreach.ErrNotFound) {
			writeError(w, errorf(http.StatusNotFound, "resident_id", "resident %q not found", in.ResidentID))
			return
		}
	}
	if in.Estate == "" && in.ResidentID == "" && tokenOf(r).Limited() {
		if t := tokenOf(r); len(t.Estates) == 1 {
			in.Estate = t.Estates[0]
		} else {
			writeError(w, errorf(http.StatusBadRequest, "estate", "estate: required with a token of several estates"))
			return
		}
	}
	c := outreach.Case{
		Estate: strings.TrimSpace(in.Estate), ResidentID: strings.TrimSpace(in.ResidentID), Building: in.Building, Unit: in.Unit,
		Category: outreach.CaseCategory(in.Category), Urgency: outreach.CaseUrgency(in.Urgency), Received: outreach.CaseSource(in.Received),
		Description: in.Description, Assignee: strings.TrimSpace(in.Assignee), IdempotencyKey: key,
	}
	if c.Received == "" {
		c.Received = outreach.ReceivedApp
	}
	got, repeat, err := h.svc.Open(r.Context(), c, actor(r))
	if err != nil {
		h.caseError(w, r, "", err)
		return
	}
	status := http.StatusCreated
	if repeat {
		status = http.StatusOK
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/v1/cases/"+got.ID)
	writeJSON(w, status, got)
}

var caseParams = []string{"estate", "state", "category", "resident", "assignee", "overdue", "since", "until", "limit"}

func (h caseHandler) filter(w http.ResponseWriter, r *http.Request, allowed []string) (outreach.CaseFilter, bool) {
	p, apiErr := surveyQuery(r.URL.Query(), allowed)
	if apiErr != nil {
		writeError(w, apiErr)
		return outreach.CaseFilter{}, false
	}
	since, until, apiErr := window(p, time.Now())
	if apiErr != nil {
		writeError(w, apiErr)
		return outreach.CaseFilter{}, false
	}
	f := outreach.CaseFilter{Estates: estatesFor(r, p["estate"]), ResidentID: p["resident"], Assignee: p["assignee"],
		OpenedSince: since, OpenedUntil: until, Limit: defaultArchiveLimit}
	if v, ok := p["state"]; ok {
		for s := range strings.SplitSeq(v, ",") {
			st := outreach.CaseState(strings.TrimSpace(s))
			if !st.Valid() {
				writeError(w, errorf(http.StatusBadRequest, "state", "state: %q is not a case state (open, acknowledged, in_progress, resolved, followed_up, closed, reopened)", s))
				return f, false
			}
			f.States = append(f.States, st)
		}
	}
	if v, ok := p["category"]; ok {
		f.Category = outreach.CaseCategory(v)
		if !f.Category.Valid() {
			writeError(w, errorf(http.StatusBadRequest, "category", "category: %q is not a case category", v))
			return f, false
		}
	}
	if v, ok := p["overdue"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, errorf(http.StatusBadRequest, "overdue", "overdue: want true or false, got %q", v))
			return f, false
		}
		f.Overdue = b
	}
	if v, ok := p["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxArchiveLimit {
			writeError(w, errorf(http.StatusBadRequest, "limit", "limit: want a whole number from 1 to %d, got %q", maxArchiveLimit, v))
			return f, false
		}
		f.Limit = n
	}
	return f, true
}

func (h caseHandler) list(w http.ResponseWriter, r *http.Request) {
	f, ok := h.filter(w, r, caseParams)
	if !ok {
		return
	}
	list := []outreach.Case{}
	if f.Estates == nil || len(f.Estates) > 0 {
		got, err := h.svc.List(r.Context(), f)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		list = append(list, got...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": list})
}

// caseView is a case with its history.
type caseView struct {
	Case   outreach.Case        `json:"case"`
	Events []outreach.CaseEvent `json:"events"`
}

// seen loads a case the request's token may see; not found otherwise
// (an answer written already).
func (h caseHandler) seen(w http.ResponseWriter, r *http.Request) (outreach.Case, []outreach.CaseEvent, bool) {
	id := r.PathValue("id")
	c, events, err := h.svc.Get(r.Context(), id)
	if err == nil && !sees(r, c.Estate) {
		err = outreach.ErrNotFound
	}
	if err != nil {
		h.caseError(w, r, id, err)
		return c, nil, false
	}
	return c, events, true
}

func (h caseHandler) show(w http.ResponseWriter, r *http.Request) {
	c, events, ok := h.seen(w, r)
	if !ok {
		return
	}
	if events == nil {
		events = []outreach.CaseEvent{}
	}
	writeJSON(w, http.StatusOK, caseView{Case: c, Events: events})
}

// step is a POST /v1/cases/{id}/... whose body is one text field
// ({"note": "..."}, {"resolution": "..."}, {"assignee": "..."}); the
// service checks it and the transition.
func (h caseHandler) step(field string, do func(ctx context.Context, id, actor, text string) (outreach.Case, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if apiErr := decodeBody(w, r, &body); apiErr != nil {
			writeError(w, apiErr)
			return
		}
		text := ""
		for k, v := range body {
			str, ok := v.(string)
			switch {
			case k != field:
				writeError(w, errorf(http.StatusBadRequest, k, "%s: unknown field (want %s)", k, field))
				return
			case !ok:
				writeError(w, errorf(http.StatusBadRequest, k, "%s: want a string", k))
				return
			}
			text = str
		}
		if len(text) > outreach.MaxCaseDescription {
			writeError(w, errorf(http.StatusRequestEntityTooLarge, field, "%s: %d bytes, at most %d", field, len(text), outreach.MaxCaseDescription))
			return
		}
		c, _, ok := h.seen(w, r)
		if !ok {
			return
		}
		got, err := do(r.Context(), c.ID, actor(r), text)
		if err != nil {
			h.caseError(w, r, c.ID, err)
			return
		}
		writeJSON(w, http.StatusOK, got)
	})
}

func (h caseHandler) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("since") == "" {
		q.Set("since", "30d")
		r.URL.RawQuery = q.Encode()
	}
	f, ok := h.filter(w, r, []string{"estate", "category", "since", "until"})
	if !ok {
		return
	}
	f.Limit = 0
	rep := cases.Report{Since: f.OpenedSince, Until: f.OpenedUntil, Rows: []cases.ReportRow{}}
	if f.Estates == nil || len(f.Estates) > 0 {
		var err error
		if rep, err = h.svc.Report(r.Context(), f); err != nil {
			h.internal(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, rep)
}
