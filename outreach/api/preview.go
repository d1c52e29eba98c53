package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/preview"
)

// previewRoutes is POST /v1/templates/preview (scope manage), as
// `outreach templates preview --json`: what a resident would receive for a
// kind of message, on each channel, rendered with the daemon's current
// templates. The body is {"kind", "resident_id", "template"?, "channel"?,
// "data"?, "sample"?}; the answer is 200 with the preview, also when a
// channel cannot be rendered (its "error" says why: a missing variable,
// named), 400 for a bad request and 404 for an unknown resident.
func previewRoutes(cfg Config) []Route {
	h := previewHandler{cfg: cfg}
	return []Route{{"POST /v1/templates/preview", scopesManage, http.HandlerFunc(h.preview)}}
}

type previewHandler struct{ cfg Config }

// previewRequest is the body of POST /v1/templates/preview.
type previewRequest struct {
	Kind       outreach.Kind    `json:"kind"`
	ResidentID string           `json:"resident_id"`
	Template   string           `json:"template,omitempty"`
	Channel    outreach.Channel `json:"channel,omitempty"`
	Data       map[string]any   `json:"data,omitempty"`
	Sample     bool             `json:"sample,omitempty"`
}

func (h previewHandler) preview(w http.ResponseWriter, r *http.Request) {
	body, apiErr := readBody(w, r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	var req previewRequest
	if apiErr := decodeJSON(body, &req, true); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	switch {
	case !req.Kind.Valid():
		writeError(w, errorf(http.StatusBadRequest, "kind", "kind: unknown or missing kind %q", req.Kind))
		return
	case req.ResidentID == "":
		writeError(w, errorf(http.StatusBadRequest, "resident_id", "resident_id: required"))
		return
	case req.Channel != "" && (!req.Channel.Valid() || req.Channel.Group()):
		writeError(w, errorf(http.StatusBadRequest, "channel", "channel: want email or sms, got %q", req.Channel))
		return
	}
	res, err := h.cfg.Store.Resident(r.Context(), req.ResidentID)
	if err == nil && !sees(r, res.EstateID()) {
		err = errHidden // another estate's resident is not found
	}
	if errors.Is(err, outreach.ErrNotFound) {
		writeError(w, errorf(http.StatusNotFound, "resident_id", "resident %q not found", req.ResidentID))
		return
	}
	if err != nil {
		archiveHandler{logger: h.cfg.Logger}.internal(w, r, err)
		return
	}
	estate, err := h.cfg.Store.Estate(r.Context(), res.EstateID())
	if err != nil {
		archiveHandler{logger: h.cfg.Logger}.internal(w, r, fmt.Errorf("load the resident's estate: %w", err))
		return
	}
	p := preview.Render(h.cfg.Templates(), res, preview.Request{Kind: req.Kind, Template: req.Template,
		Channel: req.Channel, Data: req.Data, Sample: req.Sample, Estate: estate, Now: time.Now(), DefaultTimeZone: h.cfg.TimeZone})
	writeJSON(w, http.StatusOK, p)
}
