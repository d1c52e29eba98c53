package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/outreach/resident"
)

// estateRoutes are the estates (小区) over HTTP, as `outreach estates
// add|list|show|set` offer them:
//
//	GET    /v1/estates         {"estates": [...]}, ordered by id
//	GET    /v1/estates/{id}    one estate
//	POST   /v1/estates         create (201; Location names it)
//	PATCH  /v1/estates/{id}    change the fields the body names
//	DELETE /v1/estates/{id}    remove an estate no resident belongs to and no active token is limited to (204)
//
// Reading is for manage and read, writing for manage. An estate is checked
// as the store keeps it (outreach.Estate.Check: the id, a name, the SMS
// signature in 【】, Reply-To, the time zone, quiet hours); a bad one is a
// 400 whose problems name every field at fault. A token limited to estates
// sees only its own (the others are not found) and may change them, but
// creating and deleting estates is for unlimited tokens (403).
func estateRoutes(st outreach.EstateStore, logger *slog.Logger) []Route {
	h := estateHandler{store: st, logger: logger}
	return []Route{
		{"GET /v1/estates", scopesBrowse, http.HandlerFunc(h.list)},
		{"GET /v1/estates/{id}", scopesBrowse, http.HandlerFunc(h.get)},
		{"POST /v1/estates", scopesManage, http.HandlerFunc(h.create)},
		{"PATCH /v1/estates/{id}", scopesManage, http.HandlerFunc(h.patch)},
		{"DELETE /v1/estates/{id}", scopesManage, http.HandlerFunc(h.delete)},
	}
}

type estateHandler struct {
	store  outreach.EstateStore
	logger *slog.Logger
}

// estateInput is the body of POST /v1/estates: an estate without the
// times the store keeps.
type estateInput struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Company        string `json:"company"`
	ServicePhone   string `json:"service_phone"`
	OfficeHours    string `json:"office_hours"`
	EmergencyPhone string `json:"emergency_phone"`
	Address        string `json:"address"`
	SMSSignature   string `json:"sms_signature"`
	EmailFromName  string `json:"email_from_name"`
	ReplyTo        string `json:"reply_to"`
	TimeZone       string `json:"time_zone"`
	Locale         string `json:"locale"`
	QuietHours     string `json:"quiet_hours"`
	SurveyFatigue  string `json:"survey_fatigue"`
	CaseLimits     string `json:"case_limits"`
}

func (in estateInput) estate() outreach.Estate {
	return outreach.Estate{
		ID: in.ID, Name: in.Name, Company: in.Company, ServicePhone: in.ServicePhone, OfficeHours: in.OfficeHours,
		EmergencyPhone: in.EmergencyPhone, Address: in.Address, SMSSignature: in.SMSSignature,
		EmailFromName: in.EmailFromName, ReplyTo: in.ReplyTo, TimeZone: in.TimeZone, Locale: in.Locale, QuietHours: in.QuietHours,
		SurveyFatigue: in.SurveyFatigue, CaseLimits: in.CaseLimits,
	}
}

// estatePatch is the body of PATCH /v1/estates/{id}: the fields to change
// ("" clears one; the id stays).
type estatePatch struct {
	Name           *string `json:"name"`
	Company        *string `json:"company"`
	ServicePhone   *string `json:"service_phone"`
	OfficeHours    *string `json:"office_hours"`
	EmergencyPhone *string `json:"emergency_phone"`
	Address        *string `json:"address"`
	SMSSignature   *string `json:"sms_signature"`
	EmailFromName  *string `json:"email_from_name"`
	ReplyTo        *string `json:"reply_to"`
	TimeZone       *string `json:"time_zone"`
	Locale         *string `json:"locale"`
	QuietHours     *string `json:"quiet_hours"`
	SurveyFatigue  *string `json:"survey_fatigue"`
	CaseLimits     *string `json:"case_limits"`
}

func (p estatePatch) apply(e *outreach.Estate) {
	for _, f := range []struct {
		dst *string
		v   *string
	}{
		{&e.Name, p.Name}, {&e.Company, p.Company}, {&e.ServicePhone, p.ServicePhone}, {&e.OfficeHours, p.OfficeHours},
		{&e.EmergencyPhone, p.EmergencyPhone}, {&e.Address, p.Address}, {&e.SMSSignature, p.SMSSignature},
		{&e.EmailFromName, p.EmailFromName}, {&e.ReplyTo, p.ReplyTo}, {&e.TimeZone, p.TimeZone},
		{&e.Locale, p.Locale}, {&e.QuietHours, p.QuietHours}, {&e.SurveyFatigue, p.SurveyFatigue},
		{&e.CaseLimits, p.CaseLimits},
	} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
}

// trimEstate trims the space around every text field of e.
func trimEstate(e *outreach.Estate) {
	for _, f := range []*string{&e.ID, &e.Name, &e.Company, &e.ServicePhone, &e.OfficeHours, &e.EmergencyPhone,
		&e.Address, &e.SMSSignature, &e.EmailFromName, &e.ReplyTo, &e.TimeZone, &e.Locale, &e.QuietHours, &e.SurveyFatigue, &e.CaseLimits} {
		*f = strings.TrimSpace(*f)
	}
}

// CheckEstate validates an estate as the API takes it, trimming its text
// and normalizing its locale (resident.NormalizeLocale) in place:
// outreach.Estate.Check with the time zone read by time.LoadLocation and
// quiet hours by policy.ParseQuietHours.
func CheckEstate(e *outreach.Estate) error {
	trimEstate(e)
	var errs []error
	if e.Locale != "" {
		loc, err := resident.NormalizeLocale(e.Locale)
		if err != nil {
			errs = append(errs, fmt.Errorf("locale %q: %w", e.Locale, err))
		}
		e.Locale = loc
	}
	if err := e.Check(func(tz string) error {
		_, err := time.LoadLocation(tz)
		return err
	}, func(q string) error {
		_, err := policy.ParseQuietHours(q)
		return err
	}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// estateError is the 400 of an estate that CheckEstate refused: every
// problem with the field it names (each of Check's errors starts with its
// field: "sms_signature ...", "name: ...", "estate id ...").
func estateError(err error) *apiError {
	errs := flatten(err)
	e := &apiError{status: http.StatusBadRequest, Message: "invalid estate: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	for _, p := range errs {
		msg := p.Error()
		field, _, _ := strings.Cut(msg, " ")
		field = strings.TrimSuffix(field, ":")
		if strings.HasPrefix(msg, "estate id") {
			field = "id"
		}
		e.Problems = append(e.Problems, problem{Field: field, Error: msg})
	}
	e.Field = e.Problems[0].Field
	return e
}

// flatten lists the errors that errors.Join joined, however nested.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

func (h estateHandler) list(w http.ResponseWriter, r *http.Request) {
	es, err := h.store.Estates(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	out := make([]outreach.Estate, 0, len(es))
	for _, e := range es {
		if sees(r, e.ID) {
			out = append(out, e)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"estates": out})
}

func (h estateHandler) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !sees(r, id) {
		writeError(w, estateNotFound(id))
		return
	}
	e, err := h.store.Estate(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (h estateHandler) create(w http.ResponseWriter, r *http.Request) {
	if t := tokenOf(r); t.Limited() {
		writeError(w, errorf(http.StatusForbidden, "", "token %q is limited to estates; creating an estate needs a token of every estate", t.Name))
		return
	}
	var in estateInput
	if e := decodeBody(w, r, &in); e != nil {
		writeError(w, e)
		return
	}
	trimmed := in.estate()
	if err := CheckEstate(&trimmed); err != nil {
		writeError(w, estateError(err))
		return
	}
	if err := h.store.CreateEstate(r.Context(), trimmed); err != nil {
		if errors.Is(err, outreach.ErrExists) {
			writeError(w, errorf(http.StatusConflict, "id", "id: estate %q exists already", trimmed.ID))
			return
		}
		h.internal(w, r, err)
		return
	}
	e, err := h.store.Estate(r.Context(), trimmed.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/estates/"+e.ID)
	writeJSON(w, http.StatusCreated, e)
}

// errInvalidEstate carries CheckEstate's error out of UpdateEstate.
type errInvalidEstate struct{ err error }

func (e errInvalidEstate) Error() string { return e.err.Error() }

func (h estateHandler) patch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !sees(r, id) {
		writeError(w, estateNotFound(id))
		return
	}
	var p estatePatch
	if e := decodeBody(w, r, &p); e != nil {
		writeError(w, e)
		return
	}
	e, err := h.store.UpdateEstate(r.Context(), id, func(e *outreach.Estate) error {
		p.apply(e)
		if err := CheckEstate(e); err != nil {
			return errInvalidEstate{err}
		}
		return nil
	})
	var bad errInvalidEstate
	if errors.As(err, &bad) {
		writeError(w, estateError(bad.err))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (h estateHandler) delete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !sees(r, id) {
		writeError(w, estateNotFound(id))
		return
	}
	if t := tokenOf(r); t.Limited() {
		writeError(w, errorf(http.StatusForbidden, "", "token %q is limited to estates; deleting an estate needs a token of every estate", t.Name))
		return
	}
	err := h.store.DeleteEstate(r.Context(), id)
	if errors.Is(err, outreach.ErrInUse) {
		msg := "estate %q is in use: residents belong to it (move or delete them) or active tokens are limited to it (revoke them)"
		if id == outreach.DefaultEstateID {
			msg = "estate %q is the default estate (of residents who name none); it cannot be deleted"
		}
		writeError(w, errorf(http.StatusConflict, "id", msg, id))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// fail answers 404 for an unknown estate and 500 for anything else.
func (h estateHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, outreach.ErrNotFound) {
		writeError(w, estateNotFound(r.PathValue("id")))
		return
	}
	h.internal(w, r, err)
}

func (h estateHandler) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	h.logger.Error("estate API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, errorf(http.StatusInternalServerError, "", "internal error; see the daemon's log"))
}
