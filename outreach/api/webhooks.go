package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/survey"
	"github.com/outreach-dev/outreach/outreach/unsubscribe"
)

// OptOutFunc records that a resident opts out of (out) or back into a
// channel or a kind of message; an empty channel or kind leaves that side
// alone. It has the signature of the store's SetOptOut.
type OptOutFunc func(ctx context.Context, residentID string, ch outreach.Channel, k outreach.Kind, out bool) error

// Webhooks are the endpoints that providers and residents' mail clients
// call. They carry no API credentials: each request proves itself with its
// own signature (X-Twilio-Signature, the signed unsubscribe token).
type Webhooks struct {
	Store   outreach.Store
	Metrics *metrics.Metrics
	// PublicURL is OUTREACH_PUBLIC_URL: Twilio signs the URL it posts to,
	// which is this base plus the path, not the address the daemon
	// listens on (a proxy may stand between).
	PublicURL string
	// Twilio, when set, serves POST /webhooks/twilio/status and
	// /webhooks/twilio/inbound, checking signatures with it.
	Twilio *sms.Validator
	// Unsubscribe, when set, serves /unsubscribe/{token}.
	Unsubscribe *unsubscribe.Signer
	// OptOut records opt-outs: STOP and START replies and one-click
	// unsubscribes.
	OptOut OptOutFunc
	// Surveys, when set, scores SMS replies to satisfaction surveys (a
	// *survey.Service; see inbound.go).
	Surveys SurveyReplies
	// SurveyPage, when set, serves the emailed surveys' score links and
	// page (GET and POST /s/{token}; survey.Service.Page).
	SurveyPage http.Handler
	// Cases, when set (OUTREACH_CASES_FROM_INBOUND), opens a case for an
	// SMS from a known resident that answers no survey and is no keyword.
	Cases InboundCases
}

// maxForm bounds a webhook's body; Twilio's are a few kilobytes.
const maxForm = 64 << 10

// readForm parses a webhook's or form's urlencoded body of at most
// maxForm bytes: 413 beyond, 400 when it is no form.
func readForm(w http.ResponseWriter, r *http.Request) (int, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	err := r.ParseForm()
	if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
		return http.StatusRequestEntityTooLarge, fmt.Errorf("form larger than %d bytes", maxForm)
	}
	if err != nil {
		return http.StatusBadRequest, fmt.Errorf("unreadable form: %w", err)
	}
	return 0, nil
}

// register adds the configured endpoints to mux.
func (wh *Webhooks) register(mux *http.ServeMux, log *slog.Logger) {
	if wh.Twilio != nil {
		mux.HandleFunc("POST "+sms.StatusPath, wh.twilioStatus(log.With("endpoint", "twilio_status")))
		mux.HandleFunc("POST "+sms.InboundPath, wh.twilioInbound(log.With("endpoint", "twilio_inbound")))
	}
	if wh.SurveyPage != nil {
		mux.Handle("GET "+survey.PagePath+"{token}", wh.SurveyPage)
		mux.Handle("POST "+survey.PagePath+"{token}", wh.SurveyPage)
	}
	if wh.Unsubscribe != nil {
		h := wh.unsubscribe(log.With("endpoint", "unsubscribe"))
		mux.HandleFunc("GET "+unsubscribe.Path+"{token}", h)
		mux.HandleFunc("POST "+unsubscribe.Path+"{token}", h)
	}
}

// count adds one request with its result to the webhook metrics.
func (wh *Webhooks) count(endpoint, result string) {
	wh.Metrics.WebhookRequests.WithLabelValues(endpoint, result).Inc()
}

// signedForm reads a Twilio webhook's form and checks its signature over
// the public URL of the request. It answers the request itself and returns
// false when the body is unreadable (400) or the signature wrong (403).
func (wh *Webhooks) signedForm(w http.ResponseWriter, r *http.Request, endpoint string, log *slog.Logger) bool {
	if status, err := readForm(w, r); err != nil {
		wh.count(endpoint, "bad_request")
		log.Warn("refused an unreadable webhook form", "err", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), status)
		return false
	}
	fullURL := strings.TrimSuffix(wh.PublicURL, "/") + r.URL.RequestURI()
	if !wh.Twilio.Valid(fullURL, r.PostForm, r.Header.Get("X-Twilio-Signature")) {
		wh.count(endpoint, "forged")
		log.Warn("refused a request without a valid X-Twilio-Signature", "remote", r.RemoteAddr)
		http.Error(w, "invalid signature", http.StatusForbidden)
		return false
	}
	return true
}

// twilioStatus applies a status callback to the archive. Twilio repeats
// callbacks and sends them out of order; the store applies only steps
// forward, so any order of any number of callbacks ends in the same state.
func (wh *Webhooks) twilioStatus(log *slog.Logger) http.HandlerFunc {
	const endpoint = "twilio_status"
	return func(w http.ResponseWriter, r *http.Request) {
		if !wh.signedForm(w, r, endpoint, log) {
			return
		}
		u, err := sms.ParseStatusCallback(r.PostForm)
		if errors.Is(err, sms.ErrNotOutbound) {
			wh.count(endpoint, "ok")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err != nil {
			wh.count(endpoint, "bad_request")
			log.Warn("refused a status callback", "err", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d, changed, err := wh.Store.UpdateStatus(r.Context(), u)
		switch {
		case errors.Is(err, outreach.ErrNotFound):
			// Not ours, or its delivery is not archived yet (the callback
			// overtook the archive write): nothing to update. Twilio does
			// not retry a 2xx, and the next callback will find it.
			wh.count(endpoint, "unknown")
			log.Info("status callback for a message not in the archive", "sid", u.ProviderID, "status", u.Status)
			w.WriteHeader(http.StatusNoContent)
			return
		case err != nil:
			wh.count(endpoint, "error")
			log.Error("archive a status callback failed", "sid", u.ProviderID, "err", err)
			http.Error(w, "archive unavailable", http.StatusServiceUnavailable)
			return
		}
		result := "stale"
		if changed {
			result = "applied"
		}
		wh.count(endpoint, "ok")
		wh.Metrics.StatusReports.WithLabelValues(string(d.Channel), string(u.Status), result).Inc()
		log.Debug("status callback", "sid", u.ProviderID, "status", u.Status, "result", result, "delivery", d.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}

// emptyTwiML answers an incoming message without replying to it.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// twilioInbound archives a message a resident sent. STOP, 退订, TD and the
// like opt every resident with that number out of SMS, START opts them
// back in; every message is archived as a reply against the latest SMS we
// sent to one of them.
func (wh *Webhooks) twilioInbound(log *slog.Logger) http.HandlerFunc {
	const endpoint = "twilio_inbound"
	return func(w http.ResponseWriter, r *http.Request) {
		if !wh.signedForm(w, r, endpoint, log) {
			return
		}
		in, err := sms.ParseInbound(r.PostForm)
		if err != nil {
			wh.count(endpoint, "bad_request")
			log.Warn("refused an inbound message", "err", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reply, err := wh.archiveInbound(r.Context(), in)
		if err != nil {
			// 503: Twilio retries, and both steps are idempotent.
			wh.count(endpoint, "error")
			log.Error("archive an inbound message failed", "sid", in.SID, "from", sms.MaskPhone(in.From), "err", err)
			http.Error(w, "archive unavailable", http.StatusServiceUnavailable)
			return
		}
		wh.count(endpoint, "ok")
		action := string(reply.Action)
		if action == "" {
			action = "none"
		}
		wh.Metrics.Replies.WithLabelValues(string(outreach.ChannelSMS), action).Inc()
		wh.Metrics.Estates.Replied(reply.Estate, action)
		log.Info("inbound SMS archived", "sid", in.SID, "from", sms.MaskPhone(in.From),
			"resident", reply.ResidentID, "delivery", reply.DeliveryID, "action", action)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write([]byte(emptyTwiML))
	}
}
