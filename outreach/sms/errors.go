package sms

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/outreach-dev/outreach/outreach"
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("SMS sender is closed")

// Failure reasons of this channel that are not derived from a Twilio code
// (see classify for the rest: "twilio_<code>", "twilio_4xx", "twilio_429",
// "twilio_5xx").
const (
	ReasonConnection     = "connection"          // network error, timeout, cancelled request
	ReasonInvalidMessage = "invalid_message"     // nothing to send or no recipient
	ReasonBadResponse    = "twilio_bad_response" // a success status without a message SID
	ReasonTooLong        = "too_many_segments"   // more segments than OUTREACH_SMS_MAX_SEGMENTS
	ReasonRateLimit      = "rate_limit"          // the rate limit's wait would outlast the send's deadline
)

// codeUnsubscribed is Twilio's error for a recipient who replied STOP.
const codeUnsubscribed = 21610

// permanentCodes are Twilio error codes that no retry can fix and that get a
// reason of their own ("twilio_21610"), so that dashboards tell them apart.
var permanentCodes = map[int]bool{
	21211: true, // invalid 'To' number
	21408: true, // permission to send to this region is not enabled
	21610: true, // the recipient unsubscribed (replied STOP)
	21612: true, // Twilio cannot route to this number
	21614: true, // 'To' is not a valid mobile number
}

// APIError is Twilio's answer to a refused request, with phone numbers in its
// message masked. It stands in the error chain instead of twilio-go's
// *client.TwilioRestError, whose text quotes the recipient's number.
type APIError struct {
	Status   int    // HTTP status
	Code     int    // Twilio error code, 0 when the body had none
	Message  string // Twilio's message, phone numbers masked
	MoreInfo string // link to Twilio's documentation of Code
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Twilio answered HTTP %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", error %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.MoreInfo != "" {
		fmt.Fprintf(&b, " (%s)", e.MoreInfo)
	}
	return b.String()
}

// outcome is what an exchange saw of Twilio's answer.
type outcome struct {
	status     int           // HTTP status, 0 when no response came
	retryAfter time.Duration // Retry-After hint
}

// classify turns the error of twilio-go's CreateMessage into a SendError.
//
//   - Twilio error body (*client.TwilioRestError): HTTP 429 and 5xx are
//     temporary ("twilio_429", "twilio_5xx") with the Retry-After hint; the
//     codes in permanentCodes are permanent "twilio_<code>"; any other 4xx is
//     permanent "twilio_4xx". The code is kept in SendError.Code.
//   - An error status without a Twilio body (a proxy's HTML page): the same
//     by status, without a code.
//   - A success status whose body twilio-go cannot decode: temporary
//     "twilio_bad_response" (Twilio may have taken the message: a retry can
//     send it twice, the window docs/design.md allows).
//   - No response at all (dial, TLS, reset, timeout, cancelled context):
//     temporary "connection".
//
// redact masks what must not reach a log: the recipient and the token.
func classify(err error, o outcome, redact func(string) string) *outreach.SendError {
	var tre *client.TwilioRestError
	if errors.As(err, &tre) {
		status := tre.Status
		if status == 0 {
			status = o.status
		}
		apiErr := &APIError{Status: status, Code: tre.Code, Message: redact(tre.Message), MoreInfo: tre.MoreInfo}
		se := byStatus(status, o.retryAfter, apiErr)
		if tre.Code != 0 {
			se.Code = strconv.Itoa(tre.Code)
			if permanentCodes[tre.Code] && se.Permanent {
				se.Reason = "twilio_" + se.Code
				se.Unsubscribed = tre.Code == codeUnsubscribed
			}
		}
		return se
	}
	if o.status >= http.StatusBadRequest {
		// twilio-go failed to decode the body; its error says only that.
		return byStatus(o.status, o.retryAfter, fmt.Errorf("Twilio answered HTTP %d without an error body: %w", o.status, err))
	}
	if o.status != 0 {
		return &outreach.SendError{Reason: ReasonBadResponse, Err: fmt.Errorf("read Twilio's answer (HTTP %d): %w", o.status, err)}
	}
	// No Twilio error: the request did not get an answer. Drop *url.Error,
	// which only adds the request URL (with the account SID) to the text.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &outreach.SendError{Reason: ReasonConnection, Err: fmt.Errorf("post message to Twilio: %w", err)}
}

// byStatus classifies an HTTP error status.
func byStatus(status int, retryAfter time.Duration, err error) *outreach.SendError {
	switch {
	case status == http.StatusTooManyRequests:
		return &outreach.SendError{Reason: "twilio_429", RetryAfter: retryAfter, Err: err}
	case status >= 500:
		return &outreach.SendError{Reason: "twilio_5xx", RetryAfter: retryAfter, Err: err}
	case status >= 400:
		return &outreach.SendError{Permanent: true, Reason: "twilio_4xx", Err: err}
	}
	// twilio-go made up the error without asking Twilio (e.g. it refused
	// the credentials, which Validate already checks). Retrying cannot help.
	return &outreach.SendError{Permanent: true, Reason: "twilio_4xx", Err: err}
}
