package sms

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// StatusPath is where the daemon serves Twilio's status callbacks; the
// Sender asks Twilio to post there when it knows the daemon's public URL.
const StatusPath = "/webhooks/twilio/status"

// InboundPath is where the daemon serves Twilio's incoming messages (set it
// as the number's or messaging service's "A message comes in" webhook).
const InboundPath = "/webhooks/twilio/inbound"

// MapStatus turns a Twilio message status into the archive's status:
//
//	accepted, scheduled, queued  -> queued
//	sending, sent                -> sent
//	delivered, read              -> delivered
//	undelivered                  -> undelivered
//	failed, canceled             -> failed
//
// Other values (receiving, received: inbound messages) are not reports on
// a message we sent, and give false.
func MapStatus(twilio string) (outreach.Status, bool) {
	switch strings.ToLower(strings.TrimSpace(twilio)) {
	case "accepted", "scheduled", "queued":
		return outreach.StatusQueued, true
	case "sending", "sent":
		return outreach.StatusSent, true
	case "delivered", "read":
		return outreach.StatusDelivered, true
	case "undelivered":
		return outreach.StatusUndelivered, true
	case "failed", "canceled":
		return outreach.StatusFailed, true
	}
	return "", false
}

// deliveryErrors name the commonest carrier errors of undelivered and
// failed messages, for people reading the archive.
var deliveryErrors = map[int]string{
	30001: "queue overflow",
	30002: "account suspended",
	30003: "unreachable destination handset",
	30004: "message blocked",
	30005: "unknown destination handset",
	30006: "landline or unreachable carrier",
	30007: "message filtered by the carrier",
	30008: "unknown error",
	21610: "recipient unsubscribed",
}

var (
	// sidPattern is a Twilio message SID: SM or MM and 32 hex digits.
	sidPattern  = regexp.MustCompile(`^[SM]M[0-9a-fA-F]{32}$`)
	codePattern = regexp.MustCompile(`^[0-9]{1,6}$`)
)

// ErrNotOutbound is returned by ParseStatusCallback for a report that is
// not about a message we sent (an inbound message's status).
var ErrNotOutbound = errors.New("not a status of an outbound message")

// ParseStatusCallback reads the form of a Twilio status callback
// (MessageSid, MessageStatus, ErrorCode) into a StatusUpdate. An undelivered
// or failed report carries Twilio's error code in Error, e.g. "twilio error
// 30003: unreachable destination handset". Nothing of the form reaches the
// result unchecked: the SID must look like one, the code be a number.
func ParseStatusCallback(form url.Values) (outreach.StatusUpdate, error) {
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid")
	}
	if !sidPattern.MatchString(sid) {
		return outreach.StatusUpdate{}, errors.New("status callback without a valid MessageSid")
	}
	raw := form.Get("MessageStatus")
	if raw == "" {
		raw = form.Get("SmsStatus")
	}
	st, ok := MapStatus(raw)
	if !ok {
		if len(raw) > 32 {
			raw = raw[:32]
		}
		return outreach.StatusUpdate{}, fmt.Errorf("status callback for %s with status %q: %w", sid, raw, ErrNotOutbound)
	}
	u := outreach.StatusUpdate{ProviderID: sid, Status: st}
	if code := strings.TrimSpace(form.Get("ErrorCode")); code != "" && code != "0" {
		if !codePattern.MatchString(code) {
			return outreach.StatusUpdate{}, fmt.Errorf("status callback for %s with a malformed ErrorCode", sid)
		}
		if st == outreach.StatusUndelivered || st == outreach.StatusFailed {
			u.Error = "twilio error " + code
			if n, _ := strconv.Atoi(code); deliveryErrors[n] != "" {
				u.Error += ": " + deliveryErrors[n]
			}
		}
	}
	return u, nil
}
