package api

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/survey"
)

// The satisfaction loop's routes (docs/surveys.md):
//
//	GET  /v1/surveys                  (scope read)   list, filtered
//	GET  /v1/surveys/{id}             (scope read)   one survey and its history
//	POST /v1/surveys/{id}/callback    (scope manage) close the call-back task with a note
//	GET  /v1/satisfaction             (scope read)   the satisfaction report
//
// An estate-limited token sees its estates' surveys only: another
// estate's survey is not found (404), as an id nobody has.
func surveyRoutes(st outreach.Store, logger *slog.Logger) []Route {
	h := surveyHandler{store: st, logger: logger, svc: &survey.Service{Store: st}}
	return []Route{
		{"GET /v1/surveys", scopesRead, http.HandlerFunc(h.list)},
		{"GET /v1/surveys/{id}", scopesRead, http.HandlerFunc(h.show)},
		{"POST /v1/surveys/{id}/callback", scopesManage, http.HandlerFunc(h.callback)},
		{"GET /v1/satisfaction", scopesRead, http.HandlerFunc(h.report)},
	}
}

type surveyHandler struct {
	store  outreach.Store
	logger *slog.Logger
	svc    *survey.Service
}

func (h surveyHandler) internal(w http.ResponseWriter, r *http.Request, err error) {
	archiveHandler{logger: h.logger}.internal(w, r, err)
}

var (
	surveyParams = []string{"estate", "building", "service", "state", "resident", "job", "callback", "since", "until", "limit"}
	reportParams = []string{"estate", "building", "service", "since", "until", "by"}
)

// surveyQuery reads the query string, refusing unknown, repeated and
// non-text parameters, into name -> value.
func surveyQuery(q url.Values, allowed []string) (map[string]string, *apiError) {
	out := map[string]string{}
	for name, vs := range q {
		if !slices.Contains(allowed, name) {
			return nil, errorf(http.StatusBadRequest, name, "%s: unknown parameter (want %s)", name, strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, errorf(http.StatusBadRequest, name, "%s: given %d times; give it once", name, len(vs))
		}
		if !utf8.ValidString(vs[0]) || strings.IndexByte(vs[0], 0) >= 0 || len(vs[0]) > 200 {
			return nil, errorf(http.StatusBadRequest, name, "%s: not valid text", name)
		}
		out[name] = vs[0]
	}
	return out, nil
}

// window reads since and until.
func window(p map[string]string, now time.Time) (since, until time.Time, _ *apiError) {
	if v, ok := p["since"]; ok {
		t, err := parseWhen(v, now, true)
		if err != nil {
			return since, until, errorf(http.StatusBadRequest, "since", "since: %v", err)
		}
		since = t
	}
	if v, ok := p["until"]; ok {
		t, err := parseWhen(v, now, false)
		if err != nil {
			return since, until, errorf(http.StatusBadRequest, "until", "until: %v", err)
		}
		until = t
	}
	return since, until, nil
}

// estatesFor is the estates filter of a request naming estate (may be
// ""): nil for every estate, an empty non-nil list for none (an estate the
// token does not see).
func estatesFor(r *http.Request, estate string) []string {
	limit := limitOf(r)
	switch {
	case estate == "":
		return limit
	case limit != nil && !slices.Contains(limit, estate):
		return []string{}
	}
	return []string{estate}
}

func (h surveyHandler) list(w http.ResponseWriter, r *http.Request) {
	p, apiErr := surveyQuery(r.URL.Query(), surveyParams)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	now := time.Now()
	since, until, apiErr := window(p, now)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f := outreach.SurveyFilter{Building: p["building"], Service: p["service"], JobID: p["job"],
		SentSince: since, SentUntil: until, Limit: defaultArchiveLimit, Estates: estatesFor(r, p["estate"])}
	if v := p["resident"]; v != "" {
		f.ResidentIDs = []string{v}
	}
	if v, ok := p["state"]; ok {
		f.State = outreach.SurveyState(v)
		if !f.State.Valid() {
			writeError(w, errorf(http.StatusBadRequest, "state", "state: want open, answered, expired or closed, got %q", v))
			return
		}
	}
	if v, ok := p["callback"]; ok {
		if v != "open" {
			writeError(w, errorf(http.StatusBadRequest, "callback", `callback: want "open", got %q`, v))
			return
		}
		f.CallbackOpen = true
	}
	if v, ok := p["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxArchiveLimit {
			writeError(w, errorf(http.StatusBadRequest, "limit", "limit: want a whole number from 1 to %d, got %q", maxArchiveLimit, v))
			return
		}
		f.Limit = n
	}
	list := []outreach.Survey{}
	if f.Estates == nil || len(f.Estates) > 0 {
		got, err := h.store.Surveys(r.Context(), f)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		list = append(list, got...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"surveys": list})
}

// seen loads a survey the request's token may see; not found otherwise
// (an answer written already).
func (h surveyHandler) seen(w http.ResponseWriter, r *http.Request) (outreach.Survey, bool) {
	id := r.PathValue("id")
	sv, err := h.store.Survey(r.Context(), id)
	if err == nil && !sees(r, sv.Estate) {
		err = outreach.ErrNotFound
	}
	if errors.Is(err, outreach.ErrNotFound) {
		writeError(w, errorf(http.StatusNotFound, "id", "survey %q not found", id))
		return sv, false
	}
	if err != nil {
		h.internal(w, r, err)
		return sv, false
	}
	return sv, true
}

// surveyView is a survey with its history.
type surveyView struct {
	Survey outreach.Survey        `json:"survey"`
	Events []outreach.SurveyEvent `json:"events"`
}

func (h surveyHandler) show(w http.ResponseWriter, r *http.Request) {
	sv, ok := h.seen(w, r)
	if !ok {
		return
	}
	events, err := h.store.SurveyEvents(r.Context(), sv.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if events == nil {
		events = []outreach.SurveyEvent{}
	}
	writeJSON(w, http.StatusOK, surveyView{Survey: sv, Events: events})
}

type callbackRequest struct {
	Note *string `json:"note"`
}

func (h surveyHandler) callback(w http.ResponseWriter, r *http.Request) {
	var req callbackRequest
	if apiErr := decodeBody(w, r, &req); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	switch {
	case req.Note == nil || strings.TrimSpace(*req.Note) == "":
		writeError(w, errorf(http.StatusBadRequest, "note", "note: required (what the call-back found or did)"))
		return
	case utf8.RuneCountInString(*req.Note) > survey.MaxComment || strings.IndexByte(*req.Note, 0) >= 0:
		writeError(w, errorf(http.StatusBadRequest, "note", "note: at most %d characters of text", survey.MaxComment))
		return
	}
	sv, ok := h.seen(w, r)
	if !ok {
		return
	}
	done, err := h.svc.CallBack(r.Context(), sv.ID, *req.Note)
	switch {
	case errors.Is(err, survey.ErrNoCallback):
		writeError(w, errorf(http.StatusConflict, "id", "survey %q has no open call-back task", sv.ID))
		return
	case errors.Is(err, outreach.ErrNotFound):
		writeError(w, errorf(http.StatusNotFound, "id", "survey %q not found", sv.ID))
		return
	case err != nil:
		h.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, done)
}

func (h surveyHandler) report(w http.ResponseWriter, r *http.Request) {
	p, apiErr := surveyQuery(r.URL.Query(), reportParams)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	now := time.Now()
	if _, ok := p["since"]; !ok {
		p["since"] = "30d"
	}
	since, until, apiErr := window(p, now)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if err := survey.CheckBy(p["by"]); err != nil {
		writeError(w, errorf(http.StatusBadRequest, "by", "by: %v", err))
		return
	}
	opt := survey.ReportOptions{Estates: limitOf(r), Estate: p["estate"], Building: p["building"], Service: p["service"],
		Since: since, Until: until, By: p["by"]}
	rep, err := survey.BuildReport(r.Context(), h.store, opt, now)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
