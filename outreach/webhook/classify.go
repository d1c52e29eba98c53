package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Failure reasons (SendError.Reason, a metric label).
const (
	ReasonConnection     = "connection"
	ReasonHTTP429        = "http_429"
	ReasonHTTP5xx        = "http_5xx"
	ReasonHTTP4xx        = "http_4xx"
	ReasonErrcode        = "errcode"
	ReasonErrcodeBusy    = "errcode_busy"
	ReasonBadResponse    = "bad_response"
	ReasonTooLong        = "too_long"
	ReasonInvalidMessage = "invalid_message"
)

// busyCodes are errcodes that mean "not now": a retry later can succeed.
var busyCodes = map[outreach.Channel]map[int]bool{
	// -1 system busy; 45009 API frequency limit (20 messages a minute per
	// robot); 45033 concurrency limit.
	outreach.ChannelWeCom: {-1: true, 45009: true, 45033: true},
	// -1 system busy; 130101 sending too fast (20 a minute).
	outreach.ChannelDingTalk: {-1: true, 130101: true},
}

// apiAnswer is the JSON answer of WeCom and DingTalk robots.
type apiAnswer struct {
	Errcode *int   `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

// classify reads the answer to a post: nil when the robot took the
// message, otherwise a *outreach.SendError.
func classify(ch outreach.Channel, status int, header http.Header, body []byte) *outreach.SendError {
	retryAfter := parseRetryAfter(header.Get("Retry-After"), time.Now())
	snippet := bodySnippet(body)
	switch {
	case status == http.StatusTooManyRequests:
		return &outreach.SendError{Reason: ReasonHTTP429, Code: strconv.Itoa(status), RetryAfter: retryAfter,
			Err: fmt.Errorf("%s robot answered HTTP %d %s", ch, status, snippet)}
	case status >= 500:
		return &outreach.SendError{Reason: ReasonHTTP5xx, Code: strconv.Itoa(status), RetryAfter: retryAfter,
			Err: fmt.Errorf("%s robot answered HTTP %d %s", ch, status, snippet)}
	case status >= 300:
		return &outreach.SendError{Permanent: true, Reason: ReasonHTTP4xx, Code: strconv.Itoa(status),
			Err: fmt.Errorf("%s robot answered HTTP %d %s", ch, status, snippet)}
	}
	if ch == outreach.ChannelSlack {
		return nil // Slack answers 200 "ok"; its errors are HTTP statuses
	}
	var a apiAnswer
	if err := json.Unmarshal(body, &a); err != nil || a.Errcode == nil {
		return &outreach.SendError{Reason: ReasonBadResponse,
			Err: fmt.Errorf("%s robot answered HTTP %d without an errcode %s", ch, status, snippet)}
	}
	if *a.Errcode == 0 {
		return nil
	}
	code := strconv.Itoa(*a.Errcode)
	err := fmt.Errorf("%s robot refused the message: errcode %s: %s", ch, code, clip(a.Errmsg))
	if busyCodes[ch][*a.Errcode] {
		return &outreach.SendError{Reason: ReasonErrcodeBusy, Code: code, Err: err}
	}
	return &outreach.SendError{Permanent: true, Reason: ReasonErrcode, Code: code, Err: err}
}

// connectionFailure is a post that got no answer. *url.Error is dropped
// from the chain: its text is the request URL, which holds the robot key.
func connectionFailure(ch outreach.Channel, err error) *outreach.SendError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &outreach.SendError{Reason: ReasonConnection, Err: fmt.Errorf("post to the %s robot: %w", ch, err)}
}

// bodySnippet is a short, one-line, printable excerpt of an answer.
func bodySnippet(body []byte) string {
	s := clip(string(body))
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func clip(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// parseRetryAfter reads delay-seconds or an HTTP date; zero when absent,
// malformed or past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
