package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/campaign"
)

// Campaigns is what the campaign routes need; *campaign.Service has it.
type Campaigns interface {
	Create(ctx context.Context, spec outreach.Campaign) (outreach.Campaign, error)
	List(ctx context.Context) ([]outreach.Campaign, error)
	Show(ctx context.Context, id string) (campaign.View, error)
	Pause(ctx context.Context, id string) (outreach.Campaign, error)
	Resume(ctx context.Context, id string) (outreach.Campaign, error)
	Cancel(ctx context.Context, id string) (outreach.Campaign, error)
}

// campaignRoutes are the campaign API:
//
//	POST /v1/campaigns                 create (201, the campaign; Location names it)
//	GET  /v1/campaigns                 list: {"campaigns": [...]}, newest first
//	GET  /v1/campaigns/{id}            the campaign with its counts and next run
//	POST /v1/campaigns/{id}/pause      pause, resume or cancel (200, the campaign)
//	POST /v1/campaigns/{id}/resume
//	POST /v1/campaigns/{id}/cancel
//
// Bodies are JSON (Content-Type: application/json). Errors are
// {"error": "..."} with 400 (a bad request, naming the field when it can),
// 404 (no such campaign), 409 (the campaign's state does not allow it),
// 413, 415 or 500.
//
// A campaign belongs to the estate of its audience. A token limited to
// estates (access.go) sees only campaigns whose audience is within one of
// its estates (one to every estate is nobody's in particular: only
// unlimited tokens see it); the others are not found (404). Its new
// campaigns' audiences are pinned to its estate as jobs' are (pinAudience).
func campaignRoutes(cs Campaigns, estates outreach.EstateStore, logger *slog.Logger) []Route {
	h := campaignHandler{cs: cs, estates: estates, logger: logger}
	return []Route{
		{"POST /v1/campaigns", scopesManage, http.HandlerFunc(h.create)},
		{"GET /v1/campaigns", scopesBrowse, http.HandlerFunc(h.list)},
		{"GET /v1/campaigns/{id}", scopesBrowse, http.HandlerFunc(h.show)},
		{"POST /v1/campaigns/{id}/pause", scopesManage, h.change(cs.Pause)},
		{"POST /v1/campaigns/{id}/resume", scopesManage, h.change(cs.Resume)},
		{"POST /v1/campaigns/{id}/cancel", scopesManage, h.change(cs.Cancel)},
	}
}

type campaignHandler struct {
	cs Campaigns
	// estates, when set, checks that a new campaign's estate exists.
	estates outreach.EstateStore
	logger  *slog.Logger
}

// createRequest is the body of POST /v1/campaigns: the campaign's plan,
// without what the daemon keeps (id, state, progress).
type createRequest struct {
	Name     string             `json:"name"`
	Kind     outreach.Kind      `json:"kind"`
	Template string             `json:"template,omitempty"`
	Audience outreach.Audience  `json:"audience"`
	Channels []outreach.Channel `json:"channels,omitempty"`
	Data     map[string]any     `json:"data,omitempty"`
	Priority outreach.Priority  `json:"priority,omitempty"`
	Schedule outreach.Schedule  `json:"schedule"`
}

func (h campaignHandler) create(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if apiErr := decodeBody(w, r, &req); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if apiErr := pinAudience(r, &req.Audience, "audience.estate"); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if apiErr, err := knownEstate(r, h.estates, req.Audience.Estate, "audience.estate"); err != nil || apiErr != nil {
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeError(w, apiErr)
		return
	}
	c, err := h.cs.Create(r.Context(), outreach.Campaign{
		Name: req.Name, Kind: req.Kind, Template: req.Template, Audience: req.Audience,
		Channels: req.Channels, Data: req.Data, Priority: req.Priority, Schedule: req.Schedule,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/campaigns/"+c.ID)
	writeJSON(w, http.StatusCreated, c)
}

// list serves GET /v1/campaigns?estate=: every campaign the token sees,
// or those of one estate.
func (h campaignHandler) list(w http.ResponseWriter, r *http.Request) {
	estate := ""
	for name, vs := range r.URL.Query() {
		if name != "estate" {
			writeError(w, errorf(http.StatusBadRequest, name, "%s: unknown parameter (want estate)", name))
			return
		}
		if len(vs) > 1 {
			writeError(w, errorf(http.StatusBadRequest, name, "%s: given %d times; give it once", name, len(vs)))
			return
		}
		estate = vs[0]
	}
	cs, err := h.cs.List(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []outreach.Campaign{}
	for _, c := range cs {
		if seesAudience(r, c.Audience) && (estate == "" || c.Audience.Estate == estate) {
			out = append(out, c)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": out})
}

func (h campaignHandler) show(w http.ResponseWriter, r *http.Request) {
	v, err := h.cs.Show(r.Context(), r.PathValue("id"))
	if err == nil && !seesAudience(r, v.Audience) {
		err = errHiddenCampaign
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h campaignHandler) change(op func(context.Context, string) (outreach.Campaign, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if tokenOf(r).Limited() {
			// The campaign's audience does not change, so a check first
			// is as good as one in the same transaction.
			v, err := h.cs.Show(r.Context(), r.PathValue("id"))
			if err == nil && !seesAudience(r, v.Audience) {
				err = errHiddenCampaign
			}
			if err != nil {
				h.fail(w, r, err)
				return
			}
		}
		c, err := op(r.Context(), r.PathValue("id"))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, c)
	}
}

// errHiddenCampaign is the error of a campaign of an estate the request's
// token does not see: not found.
var errHiddenCampaign = fmt.Errorf("campaign of another estate: %w", outreach.ErrNotFound)

// fail answers with the status err calls for. The text of a client's
// error goes back to it; an internal one is logged and not shown. Not
// found is always the same words, so that a campaign of another estate
// reads as one that does not exist.
func (h campaignHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, outreach.ErrNotFound) {
		writeError(w, errorf(http.StatusNotFound, "", "campaign %q not found", r.PathValue("id")))
		return
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, campaign.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, outreach.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, campaign.ErrState):
		status = http.StatusConflict
	}
	if status == http.StatusInternalServerError {
		h.logger.Error("campaign request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, errorf(status, "", "internal error; see the daemon's log"))
		return
	}
	writeError(w, errorf(status, "", "%s", err.Error()))
}
