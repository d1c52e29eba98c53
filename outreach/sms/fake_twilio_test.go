package sms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Credentials the fake Twilio accepts; shaped like Twilio's.
const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "f00dfacecafe0123456789abcdefbeef"
	testMGSID = "MG0123456789abcdef0123456789abcdef"
)

// respondFunc answers one valid create-message request; nil answers 201.
type respondFunc func(w http.ResponseWriter, r *http.Request, form url.Values)

// fakeTwilio stands in for POST /2010-04-01/Accounts/{Sid}/Messages.json. It
// checks Basic auth and the form as Twilio does, records accepted forms and
// answers with Twilio's JSON shapes.
type fakeTwilio struct {
	respond respondFunc

	mu    sync.Mutex
	forms []url.Values
	seq   int
}

// startFakeTwilio serves a fakeTwilio on an httptest server closed at cleanup.
func startFakeTwilio(tb testing.TB, respond respondFunc) (*fakeTwilio, *httptest.Server) {
	tb.Helper()
	f := &fakeTwilio{respond: respond}
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeTwilioError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != testSID || pass != testToken {
		writeTwilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.URL.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		writeTwilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeTwilioError(w, http.StatusBadRequest, 20001, "Unsupported Content-Type "+ct)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeTwilioError(w, http.StatusBadRequest, 20001, "Bad form: "+err.Error())
		return
	}
	form := r.PostForm
	switch {
	case form.Get("To") == "":
		writeTwilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case form.Get("From") == "" && form.Get("MessagingServiceSid") == "":
		writeTwilioError(w, http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message")
		return
	case form.Get("Body") == "":
		writeTwilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	}
	f.mu.Lock()
	f.forms = append(f.forms, form)
	f.mu.Unlock()
	if f.respond != nil {
		f.respond(w, r, form)
		return
	}
	f.created(w, form)
}

// created answers 201 with a message resource and a fresh SID.
func (f *fakeTwilio) created(w http.ResponseWriter, form url.Values) {
	f.mu.Lock()
	f.seq++
	sid := fmt.Sprintf("SM%032x", f.seq)
	f.mu.Unlock()
	status := "queued"
	if form.Get("MessagingServiceSid") != "" {
		status = "accepted"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"account_sid":           testSID,
		"api_version":           "2010-04-01",
		"body":                  form.Get("Body"),
		"date_created":          "Thu, 01 Feb 2024 08:00:00 +0000",
		"date_sent":             nil,
		"date_updated":          "Thu, 01 Feb 2024 08:00:00 +0000",
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  form.Get("From"),
		"messaging_service_sid": nilIfEmpty(form.Get("MessagingServiceSid")),
		"num_media":             "0",
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   sid,
		"status":                status,
		"subresource_uris":      map[string]string{"media": "/2010-04-01/Accounts/" + testSID + "/Messages/" + sid + "/Media.json"},
		"to":                    form.Get("To"),
		"uri":                   "/2010-04-01/Accounts/" + testSID + "/Messages/" + sid + ".json",
	})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// received returns the forms accepted so far.
func (f *fakeTwilio) received() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

// writeTwilioError answers like Twilio's REST API does on an error.
func writeTwilioError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code":      code,
		"message":   message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
}

// newTestSender returns a Sender pointed at srv, closed at cleanup; edit
// adjusts the config first.
func newTestSender(tb testing.TB, apiURL string, edit func(*Config)) *Sender {
	tb.Helper()
	cfg := Config{
		AccountSID: testSID,
		AuthToken:  testToken,
		From:       "+15005550006",
		APIURL:     apiURL,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// startServer serves h on an httptest server closed at cleanup and returns
// its URL.
func startServer(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}
