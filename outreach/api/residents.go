package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/resident"
)

// Listing limits of GET /v1/residents.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// residents serves the resident directory, so that other services can keep
// the profiles they own in sync:
//
//	GET    /v1/residents?estate=&building=&unit=&locale=&tag=&after=&limit=  a page, ordered by id
//	GET    /v1/residents/{id}                                          one resident
//	PUT    /v1/residents/{id}                                          create or replace
//	PATCH  /v1/residents/{id}                                          change some fields
//	PUT    /v1/residents/{id}/opt-outs/{name}                          opt out of a channel or kind
//	DELETE /v1/residents/{id}/opt-outs/{name}                          withdraw that opt-out
//
// Profiles are validated like an import row (resident.Check); a bad one is
// a 400 whose JSON names the field. See docs/residents.md for the details.
//
// A resident belongs to an estate ("estate", the default estate when
// empty). To a token limited to estates (access.go) a resident of another
// estate does not exist: 404 on every route, left out of lists; a
// resident it writes without an estate is put in its estate when it has
// one, and must name one when it has several.
type residents struct {
	store  outreach.Store
	region string
	logger *slog.Logger
}

func (h residents) routes() []Route {
	return []Route{
		{"GET /v1/residents", scopesBrowse, http.HandlerFunc(h.list)},
		{"GET /v1/residents/{id}", scopesBrowse, http.HandlerFunc(h.get)},
		{"PUT /v1/residents/{id}", scopesManage, http.HandlerFunc(h.put)},
		{"PATCH /v1/residents/{id}", scopesManage, http.HandlerFunc(h.patch)},
		{"PUT /v1/residents/{id}/opt-outs/{name}", scopesManage, h.optOut(true)},
		{"DELETE /v1/residents/{id}/opt-outs/{name}", scopesManage, h.optOut(false)},
	}
}

// page is the answer of GET /v1/residents. Next, when set, is the after=
// of the next page; without it this page is the last.
type page struct {
	Residents []outreach.Resident `json:"residents"`
	Next      string              `json:"next,omitempty"`
}

func (h residents) list(w http.ResponseWriter, r *http.Request) {
	f, apiErr := listFilter(r.URL.Query())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f.Estates = limitOf(r)
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	rs, err := h.store.ListResidents(r.Context(), f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p := page{Residents: rs}
	if len(rs) > limit {
		p.Residents = rs[:limit]
		p.Next = rs[limit-1].ID
	}
	if p.Residents == nil {
		p.Residents = []outreach.Resident{}
	}
	writeJSON(w, http.StatusOK, p)
}

// listFilter reads the query of GET /v1/residents. An unknown parameter is
// an error: a misspelt filter would otherwise list everyone.
func listFilter(q url.Values) (outreach.ResidentFilter, *apiError) {
	f := outreach.ResidentFilter{Limit: defaultListLimit}
	for name, vs := range q {
		for _, v := range vs {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return f, errorf(http.StatusBadRequest, name, "%s: not valid UTF-8 text", name)
			}
		}
		if name == "tag" {
			f.Audience.Tags = vs
			continue
		}
		if len(vs) > 1 {
			return f, errorf(http.StatusBadRequest, name, "%s: given %d times; give it once", name, len(vs))
		}
		v := vs[0]
		switch name {
		case "estate":
			f.Audience.Estate = v
		case "building":
			f.Audience.Building = v
		case "unit":
			f.Audience.Unit = v
		case "locale":
			f.Audience.Locale = v
		case "after":
			f.After = v
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxListLimit {
				return f, errorf(http.StatusBadRequest, "limit", "limit: want a whole number from 1 to %d, got %q", maxListLimit, v)
			}
			f.Limit = n
		default:
			return f, errorf(http.StatusBadRequest, name, "%s: unknown parameter (want estate, building, unit, locale, tag, after, limit)", name)
		}
	}
	return f, nil
}

func (h residents) get(w http.ResponseWriter, r *http.Request) {
	res, err := h.visible(r, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// errHidden is the error of a resident of an estate the request's token
// does not see; it answers as ErrNotFound does.
var errHidden = fmt.Errorf("resident of another estate: %w", outreach.ErrNotFound)

// visible returns the resident id if the request's token sees its estate;
// otherwise, like an unknown id, an error that wraps ErrNotFound.
func (h residents) visible(r *http.Request, id string) (outreach.Resident, error) {
	res, err := h.store.Resident(r.Context(), id)
	if err != nil {
		return res, err
	}
	if !sees(r, res.EstateID()) {
		return outreach.Resident{}, errHidden
	}
	return res, nil
}

// put creates or replaces the resident: 201 when it is new, 200 when it
// replaced one. The body is a resident as GET gives it; its id may be left
// out but must otherwise match the path, and updated_at is ignored. Opt-outs
// in the body are added to those already recorded; withdrawing one is a
// DELETE of the opt-out (consent is never withdrawn by a profile sync).
func (h residents) put(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in outreach.Resident
	if e := decodeBody(w, r, &in); e != nil {
		writeError(w, e)
		return
	}
	if in.ID != "" && in.ID != id {
		writeError(w, errorf(http.StatusBadRequest, "id", "id: %q in the body differs from %q in the path", in.ID, id))
		return
	}
	in.ID, in.UpdatedAt = id, time.Time{}
	if e := pinResident(r, &in, "estate"); e != nil {
		writeError(w, e)
		return
	}
	if tokenOf(r).Limited() {
		// A resident of another estate keeps its id to itself (404, not a
		// replacement). Checked before the upsert: only a concurrent
		// creation of the same id elsewhere slips between the two.
		_, err := h.visible(r, id)
		if errors.Is(err, errHidden) || (err != nil && !errors.Is(err, outreach.ErrNotFound)) {
			h.fail(w, r, err)
			return
		}
	}
	checked, err := resident.Check(in, h.region)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.store.UpsertResidents(r.Context(), []outreach.Resident{checked})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if n.Added > 0 {
		status = http.StatusCreated
	}
	h.respond(w, r, status, id)
}

// patch changes the fields the body names (a resident.Patch) in one atomic
// read-modify-write, and answers with the resident as stored.
func (h residents) patch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var p resident.Patch
	if e := decodeBody(w, r, &p); e != nil {
		writeError(w, e)
		return
	}
	if p.Empty() {
		h.get(w, r)
		return
	}
	var pinErr *apiError
	res, err := h.store.UpdateResident(r.Context(), id, func(res *outreach.Resident) error {
		if !sees(r, res.EstateID()) {
			return errHidden
		}
		changed := p.Apply(*res)
		if pinErr = pinResident(r, &changed, "estate"); pinErr != nil {
			return pinErr
		}
		checked, err := resident.Check(changed, h.region)
		if err != nil {
			return err
		}
		*res = checked
		return nil
	})
	if pinErr != nil {
		writeError(w, pinErr)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// optOut records or withdraws one opt-out, named by a channel ("sms") or a
// kind ("holiday_greeting"). Both are idempotent: 204 whether or not the
// opt-out was already so.
func (h residents) optOut(out bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, k, err := outreach.ParseOptOut(r.PathValue("name"))
		if err != nil {
			writeError(w, errorf(http.StatusBadRequest, "name", "%v", err))
			return
		}
		if tokenOf(r).Limited() {
			// SetOptOut is one statement, without a read to check the
			// estate in; the check comes first (moving a resident to
			// another estate between the two takes an unlimited token).
			if _, err := h.visible(r, r.PathValue("id")); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		if err := h.store.SetOptOut(r.Context(), r.PathValue("id"), c, k, out); err != nil {
			h.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// respond answers with the resident as stored now.
func (h residents) respond(w http.ResponseWriter, r *http.Request, status int, id string) {
	res, err := h.visible(r, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, status, res)
}

// fail answers an error: 404 for an unknown resident (or one the token
// does not see), 400 for an invalid profile or an unknown estate, 500 for
// anything else.
func (h residents) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, outreach.ErrUnknownEstate) {
		writeError(w, errorf(http.StatusBadRequest, "estate", "estate: unknown estate (create it first: POST /v1/estates or `outreach estates add`)"))
		return
	}
	if errors.Is(err, outreach.ErrNotFound) {
		writeError(w, errorf(http.StatusNotFound, "", "resident %q not found", r.PathValue("id")))
		return
	}
	if e, ok := invalid(err); ok {
		writeError(w, e)
		return
	}
	h.internal(w, r, err)
}

// internal logs err and answers 500 without details: store errors are for
// the operator, not the client. A client that went away is not an error.
func (h residents) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	h.logger.Error("resident API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, errorf(http.StatusInternalServerError, "", "internal error; see the daemon's log"))
}
