package sms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

const (
	testTo   = "+8613812345678"
	testBody = "【物业通知】3号楼明天 9:00-12:00 停水，请提前储水。谢谢配合！"
)

func testMessage(to string) outreach.Message {
	return outreach.Message{
		DeliveryID: "d1",
		JobID:      "j1",
		Kind:       outreach.KindMaintenanceNotice,
		Channel:    outreach.ChannelSMS,
		To:         to,
		Text:       testBody,
	}
}

func TestSendSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		want url.Values // form fields besides To and Body; others must be absent
	}{
		{
			name: "from number",
			edit: func(c *Config) { c.From = "+15005550006" },
			want: url.Values{"From": {"+15005550006"}},
		},
		{
			name: "alphanumeric sender",
			edit: func(c *Config) { c.From = "WuyeNotice" },
			want: url.Values{"From": {"WuyeNotice"}},
		},
		{
			name: "messaging service",
			edit: func(c *Config) { c.From = ""; c.MessagingServiceSID = testMGSID },
			want: url.Values{"MessagingServiceSid": {testMGSID}},
		},
		{
			name: "both and status callback",
			edit: func(c *Config) {
				c.MessagingServiceSID = testMGSID
				c.StatusCallback = "https://outreach.example.com/webhooks/twilio/status"
			},
			want: url.Values{
				"From":                {"+15005550006"},
				"MessagingServiceSid": {testMGSID},
				"StatusCallback":      {"https://outreach.example.com/webhooks/twilio/status"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, srv := startFakeTwilio(t, nil)
			s := newTestSender(t, srv.URL, tt.edit)

			rcpt, err := s.Send(t.Context(), testMessage(testTo))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			forms := fake.received()
			if len(forms) != 1 {
				t.Fatalf("Twilio received %d messages, want 1", len(forms))
			}
			if want := fmt.Sprintf("SM%032x", 1); rcpt.ProviderID != want {
				t.Errorf("ProviderID = %q, want %q", rcpt.ProviderID, want)
			}
			if rcpt.Status != outreach.StatusQueued {
				t.Errorf("Status = %q, want %q", rcpt.Status, outreach.StatusQueued)
			}
			if rcpt.Segments != 1 || rcpt.Encoding != string(EncodingUCS2) {
				t.Errorf("Segments, Encoding = %d, %q; want 1, UCS-2", rcpt.Segments, rcpt.Encoding)
			}
			want := url.Values{"To": {testTo}, "Body": {testBody}}
			for k, v := range tt.want {
				want[k] = v
			}
			if got := forms[0]; !equalForms(got, want) {
				t.Errorf("Twilio received form %v, want %v", got, want)
			}
		})
	}
}

func equalForms(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || strings.Join(va, "\x00") != strings.Join(vb, "\x00") {
			return false
		}
	}
	return true
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	// Twilio quotes the number in some messages; it must come out masked.
	quote := "The 'To' number " + testTo + " is not a valid phone number."
	tests := []struct {
		name       string
		status     int
		code       int    // 0: reply with raw instead of Twilio's JSON
		raw        string // non-JSON body
		message    string
		retryAfter string

		wantPermanent  bool
		wantReason     string
		wantCode       string
		wantRetryAfter time.Duration
	}{
		{name: "invalid number 21211", status: 400, code: 21211, message: quote,
			wantPermanent: true, wantReason: "twilio_21211", wantCode: "21211"},
		{name: "not a mobile 21614", status: 400, code: 21614, message: quote,
			wantPermanent: true, wantReason: "twilio_21614", wantCode: "21614"},
		{name: "unsubscribed 21610", status: 400, code: 21610, message: "Attempt to send to unsubscribed recipient",
			wantPermanent: true, wantReason: "twilio_21610", wantCode: "21610"},
		{name: "region not enabled 21408", status: 400, code: 21408, message: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: " + testTo,
			wantPermanent: true, wantReason: "twilio_21408", wantCode: "21408"},
		{name: "cannot route 21612", status: 400, code: 21612, message: "The 'To' phone number: " + testTo + ", is not currently reachable using the 'From' phone number",
			wantPermanent: true, wantReason: "twilio_21612", wantCode: "21612"},
		{name: "other 4xx", status: 400, code: 21606, message: "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination.",
			wantPermanent: true, wantReason: "twilio_4xx", wantCode: "21606"},
		{name: "4xx without Twilio body", status: 404, raw: "<html>not found</html>",
			wantPermanent: true, wantReason: "twilio_4xx"},
		{name: "too many requests", status: 429, code: 20429, message: "Too Many Requests", retryAfter: "7",
			wantReason: "twilio_429", wantCode: "20429", wantRetryAfter: 7 * time.Second},
		{name: "too many requests without hint", status: 429, code: 20429, message: "Too Many Requests",
			wantReason: "twilio_429", wantCode: "20429"},
		{name: "service unavailable", status: 503, code: 20503, message: "Service unavailable", retryAfter: "2",
			wantReason: "twilio_5xx", wantCode: "20503", wantRetryAfter: 2 * time.Second},
		{name: "internal error", status: 500, code: 20500, message: "Internal Server Error",
			wantReason: "twilio_5xx", wantCode: "20500"},
		{name: "proxy page", status: 502, raw: "<html>Bad Gateway</html>",
			wantReason: "twilio_5xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, srv := startFakeTwilio(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.code == 0 {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(tt.status)
					_, _ = w.Write([]byte(tt.raw))
					return
				}
				writeTwilioError(w, tt.status, tt.code, tt.message)
			})
			s := newTestSender(t, srv.URL, nil)

			_, err := s.Send(t.Context(), testMessage(testTo))
			var se *outreach.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send error = %v, want a *outreach.SendError", err)
			}
			if se.Permanent != tt.wantPermanent || se.Reason != tt.wantReason || se.Code != tt.wantCode || se.RetryAfter != tt.wantRetryAfter {
				t.Errorf("SendError = {Permanent:%v Reason:%q Code:%q RetryAfter:%v}, want {%v %q %q %v}",
					se.Permanent, se.Reason, se.Code, se.RetryAfter, tt.wantPermanent, tt.wantReason, tt.wantCode, tt.wantRetryAfter)
			}
			// The domain helpers read the same answers.
			if outreach.IsPermanent(err) != tt.wantPermanent || outreach.FailureReason(err) != tt.wantReason || outreach.RetryAfterHint(err) != tt.wantRetryAfter {
				t.Errorf("IsPermanent/FailureReason/RetryAfterHint = %v/%q/%v", outreach.IsPermanent(err), outreach.FailureReason(err), outreach.RetryAfterHint(err))
			}
			if got, want := outreach.IsUnsubscribed(err), tt.code == 21610; got != want {
				t.Errorf("IsUnsubscribed = %v, want %v", got, want)
			}
			if n := len(fake.received()); n != 1 {
				t.Errorf("Twilio received %d requests, want 1 (twilio-go must not retry)", n)
			}
			text := err.Error()
			if strings.Contains(text, testTo) || strings.Contains(text, testTo[1:]) {
				t.Errorf("error text %q contains the full phone number", text)
			}
			if strings.Contains(text, testToken) {
				t.Errorf("error text %q contains the auth token", text)
			}
			if tt.code != 0 {
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("error %v does not wrap an *APIError", err)
				}
				if apiErr.Status != tt.status || apiErr.Code != tt.code {
					t.Errorf("APIError = {Status:%d Code:%d}, want {%d %d}", apiErr.Status, apiErr.Code, tt.status, tt.code)
				}
				wantMsg := strings.ReplaceAll(tt.message, testTo, MaskPhone(testTo))
				if !strings.Contains(text, wantMsg) {
					t.Errorf("error text %q lacks Twilio's message %q", text, wantMsg)
				}
			}
		})
	}
}

func TestSendWrongToken(t *testing.T) {
	t.Parallel()
	_, srv := startFakeTwilio(t, nil)
	const wrong = "0000000000000000000000000000dead"
	s := newTestSender(t, srv.URL, func(c *Config) { c.AuthToken = wrong })

	_, err := s.Send(t.Context(), testMessage(testTo))
	var se *outreach.SendError
	if !errors.As(err, &se) || !se.Permanent || se.Reason != "twilio_4xx" || se.Code != "20003" {
		t.Fatalf("Send error = %#v, want permanent twilio_4xx with code 20003", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error text %q contains the auth token", err)
	}
}

// hangingTwilio answers only when the client gives up (or after a minute,
// so that a broken timeout fails the test instead of hanging it). arrived
// receives a value when a request comes in.
func hangingTwilio(tb testing.TB) (srvURL string, arrived <-chan struct{}) {
	tb.Helper()
	ch := make(chan struct{}, 16)
	_, srv := startFakeTwilio(tb, func(w http.ResponseWriter, r *http.Request, form url.Values) {
		ch <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		writeTwilioError(w, http.StatusServiceUnavailable, 20503, "too late")
	})
	return srv.URL, ch
}

func TestSendTimeout(t *testing.T) {
	t.Parallel()
	srvURL, _ := hangingTwilio(t)
	s := newTestSender(t, srvURL, func(c *Config) { c.Timeout = 50 * time.Millisecond })

	_, err := s.Send(t.Context(), testMessage(testTo))
	var se *outreach.SendError
	if !errors.As(err, &se) || se.Permanent || se.Reason != ReasonConnection {
		t.Fatalf("Send error = %v, want a temporary %q failure", err, ReasonConnection)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send error = %v, want it to wrap context.DeadlineExceeded", err)
	}
}

func TestSendHonoursContext(t *testing.T) {
	t.Parallel()
	t.Run("cancelled in flight", func(t *testing.T) {
		t.Parallel()
		srvURL, arrived := hangingTwilio(t)
		s := newTestSender(t, srvURL, func(c *Config) { c.Timeout = time.Minute })
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-arrived
			cancel()
		}()

		_, err := s.Send(ctx, testMessage(testTo))
		var se *outreach.SendError
		if !errors.As(err, &se) || se.Permanent || se.Reason != ReasonConnection {
			t.Fatalf("Send error = %v, want a temporary %q failure", err, ReasonConnection)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send error = %v, want it to wrap context.Canceled", err)
		}
	})
	t.Run("cancelled before", func(t *testing.T) {
		t.Parallel()
		fake, srv := startFakeTwilio(t, nil)
		s := newTestSender(t, srv.URL, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()

		_, err := s.Send(ctx, testMessage(testTo))
		if !errors.Is(err, context.Canceled) || outreach.IsPermanent(err) {
			t.Errorf("Send error = %v, want a temporary error wrapping context.Canceled", err)
		}
		if n := len(fake.received()); n != 0 {
			t.Errorf("Twilio received %d requests, want 0", n)
		}
	})
}

func TestSendServerDown(t *testing.T) {
	t.Parallel()
	_, srv := startFakeTwilio(t, nil)
	srv.Close()
	s := newTestSender(t, srv.URL, nil)

	_, err := s.Send(t.Context(), testMessage(testTo))
	var se *outreach.SendError
	if !errors.As(err, &se) || se.Permanent || se.Reason != ReasonConnection || se.Code != "" {
		t.Fatalf("Send error = %v, want a temporary %q failure without code", err, ReasonConnection)
	}
	if strings.Contains(err.Error(), testSID) {
		t.Errorf("error text %q names the account SID", err)
	}
}

// TestSendConcurrentRetryAfter sends at once to numbers of which every third
// is throttled with its own Retry-After: each Send must see its own hint.
func TestSendConcurrentRetryAfter(t *testing.T) {
	t.Parallel()
	const n = 24
	// The server holds every request until all n are in, so that they
	// really overlap (or gives up waiting after a while: the assertions
	// below hold either way).
	var arrivedAll sync.WaitGroup
	arrivedAll.Add(n)
	allIn := make(chan struct{})
	go func() { arrivedAll.Wait(); close(allIn) }()
	fake := &fakeTwilio{}
	fake.respond = func(w http.ResponseWriter, r *http.Request, form url.Values) {
		arrivedAll.Done()
		select {
		case <-allIn:
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
		var i int
		if _, err := fmt.Sscanf(form.Get("To")[len(form.Get("To"))-4:], "%04d", &i); err != nil {
			writeTwilioError(w, http.StatusBadRequest, 21211, "bad test number")
			return
		}
		if i%3 == 0 {
			w.Header().Set("Retry-After", fmt.Sprint(i+1))
			writeTwilioError(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
			return
		}
		fake.created(w, form)
	}
	srv := startServer(t, fake)
	s := newTestSender(t, srv, nil)

	var wg sync.WaitGroup
	errs := make([]error, n)
	rcpts := make([]outreach.Receipt, n)
	for i := range n {
		wg.Go(func() {
			rcpts[i], errs[i] = s.Send(t.Context(), testMessage(fmt.Sprintf("+861381234%04d", i)))
		})
	}
	wg.Wait()

	sids := map[string]bool{}
	for i := range n {
		if i%3 == 0 {
			var se *outreach.SendError
			if !errors.As(errs[i], &se) || se.Reason != "twilio_429" || se.RetryAfter != time.Duration(i+1)*time.Second {
				t.Errorf("send %d: error %v, want twilio_429 with RetryAfter %ds", i, errs[i], i+1)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("send %d: %v", i, errs[i])
			continue
		}
		if sids[rcpts[i].ProviderID] {
			t.Errorf("send %d: SID %s returned twice", i, rcpts[i].ProviderID)
		}
		sids[rcpts[i].ProviderID] = true
	}
	if got := len(fake.received()); got != n {
		t.Errorf("Twilio received %d requests, want %d", got, n)
	}
}

func TestSendInvalidMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*outreach.Message)
	}{
		{"no recipient", func(m *outreach.Message) { m.To = "" }},
		{"no text", func(m *outreach.Message) { m.Text = " \n" }},
		{"email message", func(m *outreach.Message) { m.Channel = outreach.ChannelEmail }},
	}
	fake, srv := startFakeTwilio(t, nil)
	s := newTestSender(t, srv.URL, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage(testTo)
			tt.edit(&m)
			_, err := s.Send(t.Context(), m)
			if !outreach.IsPermanent(err) || outreach.FailureReason(err) != ReasonInvalidMessage {
				t.Errorf("Send error = %v, want permanent %q", err, ReasonInvalidMessage)
			}
		})
	}
	if n := len(fake.received()); n != 0 {
		t.Errorf("Twilio received %d requests, want 0", n)
	}
}

func TestSendAfterClose(t *testing.T) {
	t.Parallel()
	fake, srv := startFakeTwilio(t, nil)
	s := newTestSender(t, srv.URL, nil)
	if _, err := s.Send(t.Context(), testMessage(testTo)); err != nil {
		t.Fatalf("Send before Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Send(t.Context(), testMessage(testTo)); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: error %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if n := len(fake.received()); n != 1 {
		t.Errorf("Twilio received %d requests, want 1", n)
	}
}

func TestSendThroughPathPrefix(t *testing.T) {
	t.Parallel()
	fake := &fakeTwilio{}
	srv := startServer(t, http.StripPrefix("/proxy/twilio", fake))
	s := newTestSender(t, srv+"/proxy/twilio/", nil)

	if _, err := s.Send(t.Context(), testMessage(testTo)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := len(fake.received()); n != 1 {
		t.Errorf("Twilio received %d requests, want 1", n)
	}
}

func TestSendLogsMaskedPhone(t *testing.T) {
	t.Parallel()
	_, srv := startFakeTwilio(t, func(w http.ResponseWriter, _ *http.Request, form url.Values) {
		writeTwilioError(w, http.StatusBadRequest, 21211, "The 'To' number "+form.Get("To")+" is not a valid phone number.")
	})
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newTestSender(t, srv.URL, func(c *Config) { c.Logger = logger })

	if _, err := s.Send(t.Context(), testMessage(testTo)); err == nil {
		t.Fatal("Send succeeded, want Twilio's 21211")
	}
	out := buf.String()
	if !strings.Contains(out, MaskPhone(testTo)) || !strings.Contains(out, "twilio_21211") {
		t.Errorf("log %q lacks the masked number or the reason", out)
	}
	for _, leak := range []string{testTo, testTo[1:], testToken} {
		if strings.Contains(out, leak) {
			t.Errorf("log %q contains %q", out, leak)
		}
	}
}

func TestSendBadResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"no SID", http.StatusCreated, `{"status":"queued"}`},
		{"not JSON", http.StatusCreated, `<html>ok</html>`},
		{"redirect", http.StatusFound, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, srv := startFakeTwilio(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
				w.Header().Set("Location", "https://elsewhere.example.com/")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			s := newTestSender(t, srv.URL, nil)

			_, err := s.Send(t.Context(), testMessage(testTo))
			if outreach.IsPermanent(err) || outreach.FailureReason(err) != ReasonBadResponse {
				t.Errorf("Send error = %v, want temporary %q", err, ReasonBadResponse)
			}
		})
	}
}
