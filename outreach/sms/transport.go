package sms

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxErrorBody bounds how much of an error response is kept for twilio-go
// to decode; Twilio's error bodies are a few hundred bytes.
const maxErrorBody = 64 << 10

// newSharedTransport is the connection pool shared by every Send.
func newSharedTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Sends run concurrently against one host; the default of 2 idle
	// connections per host would make most of them dial anew.
	t.MaxIdleConnsPerHost = 64
	return t
}

// exchange is the http.RoundTripper of one Send. twilio-go offers no base
// URL, no context and drops the response headers, so exchange:
//   - sends the request to the configured base URL instead of api.twilio.com
//     (scheme and host replaced, the base path put in front of the path);
//   - attaches the Send's context, so cancelling it aborts the request;
//   - records the HTTP status and Retry-After header of the response;
//   - reads an error response's body into memory and closes the real one,
//     because twilio-go decodes it but never closes it (the connection
//     would otherwise leak instead of going back to the pool).
//
// An exchange serves the one goroutine of its Send, one request at a time.
type exchange struct {
	ctx  context.Context
	base *url.URL
	next http.RoundTripper

	status     int    // status of the last response, 0 when none came
	retryAfter string // its Retry-After header
}

// RoundTrip implements http.RoundTripper.
func (x *exchange) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(x.ctx) // a RoundTripper must not modify req
	out.URL.Scheme = x.base.Scheme
	out.URL.Host = x.base.Host
	out.URL.Path = x.base.Path + req.URL.Path
	out.URL.RawPath = ""
	out.Host = ""

	resp, err := x.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	x.status = resp.StatusCode
	x.retryAfter = resp.Header.Get("Retry-After")
	if resp.StatusCode >= http.StatusBadRequest {
		// A read error leaves a truncated body, which twilio-go then fails
		// to decode; the status recorded above still classifies the failure.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp, nil
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110, section 10.2.3). It returns zero for an absent, malformed or
// past value.
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
