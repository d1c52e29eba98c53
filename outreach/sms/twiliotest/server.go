// Package twiliotest is a stand-in for Twilio in tests, at the HTTP level,
// so that the real twilio-go client talks to it: POST
// /2010-04-01/Accounts/{Sid}/Messages.json (and GET of the account,
// /2010-04-01/Accounts/{Sid}.json) with Basic auth, Twilio's JSON
// answers and documented error codes, and the other direction too, signed
// status callbacks and incoming messages posted to the daemon's webhooks
// with X-Twilio-Signature computed as Twilio documents it.
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Credentials the stand-in accepts, shaped like Twilio's.
const (
	AccountSID = "AC0123456789abcdef0123456789abcdef"
	AuthToken  = "f00dfacecafe0123456789abcdefbeef"
)

// Reply is a canned error answer: HTTP status, Twilio error code and
// message, and a Retry-After header when set.
type Reply struct {
	Status     int
	Code       int
	Message    string
	RetryAfter string
}

// Documented Twilio errors, ready to queue with Answer.
var (
	TooManyRequests = Reply{Status: 429, Code: 20429, Message: "Too Many Requests", RetryAfter: "1"}
	Unavailable     = Reply{Status: 503, Code: 20503, Message: "Service Unavailable"}
	InvalidNumber   = Reply{Status: 400, Code: 21211, Message: "The 'To' number is not a valid phone number."}
	NotMobile       = Reply{Status: 400, Code: 21614, Message: "'To' number is not a valid mobile number"}
	Unsubscribed    = Reply{Status: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"}
	RegionDisabled  = Reply{Status: 400, Code: 21408, Message: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"}
	CannotRoute     = Reply{Status: 400, Code: 21612, Message: "The 'To' phone number is not currently reachable using the 'From' phone number via SMS."}
)

// Message is one message the stand-in took.
type Message struct {
	SID, To, From, Body, StatusCallback string
}

// Server is a running stand-in.
type Server struct {
	*httptest.Server
	// Forward, when set, maps the URL Twilio would post a webhook to (the
	// daemon's public URL) to where the test's daemon listens, as a proxy
	// in front of the daemon does; the signature stays over the public URL.
	Forward func(publicURL string) string

	mu       sync.Mutex
	seq      int
	messages []Message
	calls    map[string]int     // create requests per To, taken or not
	answers  map[string][]Reply // queued per To
	always   map[string]Reply   // every request to To
	outage   *Reply             // every request, when set
	fetches  int                // GETs of the account
}

// NewServer starts a stand-in; tb's cleanup stops it.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{calls: map[string]int{}, answers: map[string][]Reply{}, always: map[string]Reply{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// Answer queues replies for the next requests to the number to, in order;
// after them the number works again.
func (s *Server) Answer(to string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[to] = append(s.answers[to], replies...)
}

// Always makes every request to the number to answer r.
func (s *Server) Always(to string, r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always[to] = r
}

// Outage makes every request (messages and the account) answer r, as
// Twilio in trouble does; Outage(nil) ends it.
func (s *Server) Outage(r *Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = r
}

// AccountFetches is how many GETs of the account arrived (answered or not).
func (s *Server) AccountFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// Calls is how many create requests for the number to arrived.
func (s *Server) Calls(to string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[to]
}

// Messages returns the messages taken, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// To returns the messages taken for the number to.
func (s *Server) To(to string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if user, pass, ok := r.BasicAuth(); !ok || user != AccountSID || pass != AuthToken {
		writeError(w, Reply{Status: 401, Code: 20003, Message: "Authenticate"})
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/2010-04-01/Accounts/"+AccountSID+".json" {
		s.fetchAccount(w)
		return
	}
	s.mu.Lock()
	outage := s.outage
	s.mu.Unlock()
	if outage != nil {
		writeError(w, *outage)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+AccountSID+"/Messages.json" {
		writeError(w, Reply{Status: 404, Code: 20404, Message: "The requested resource was not found"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, Reply{Status: 400, Code: 20001, Message: "Bad form"})
		return
	}
	f := r.PostForm
	switch {
	case f.Get("To") == "":
		writeError(w, Reply{Status: 400, Code: 21604, Message: "A 'To' phone number is required."})
		return
	case f.Get("From") == "" && f.Get("MessagingServiceSid") == "":
		writeError(w, Reply{Status: 400, Code: 21603, Message: "A 'From' or 'MessagingServiceSid' parameter is required"})
		return
	case f.Get("Body") == "":
		writeError(w, Reply{Status: 400, Code: 21602, Message: "Message body is required."})
		return
	}
	to := f.Get("To")
	s.mu.Lock()
	s.calls[to]++
	reply, fail := s.always[to]
	if !fail {
		if q := s.answers[to]; len(q) > 0 {
			reply, s.answers[to], fail = q[0], q[1:], true
		}
	}
	var m Message
	if !fail {
		s.seq++
		m = Message{SID: fmt.Sprintf("SM%032x", s.seq), To: to, From: f.Get("From"), Body: f.Get("Body"), StatusCallback: f.Get("StatusCallback")}
		s.messages = append(s.messages, m)
	}
	s.mu.Unlock()
	if fail {
		writeError(w, reply)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"account_sid": AccountSID, "api_version": "2010-04-01", "sid": m.SID, "status": "queued",
		"to": m.To, "from": m.From, "body": m.Body, "direction": "outbound-api", "num_segments": "1",
		"uri": "/2010-04-01/Accounts/" + AccountSID + "/Messages/" + m.SID + ".json",
	})
}

func (s *Server) fetchAccount(w http.ResponseWriter) {
	s.mu.Lock()
	s.fetches++
	outage := s.outage
	s.mu.Unlock()
	if outage != nil {
		writeError(w, *outage)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": AccountSID, "friendly_name": "outreach tests", "status": "active", "type": "Full",
		"uri": "/2010-04-01/Accounts/" + AccountSID + ".json",
	})
}

func writeError(w http.ResponseWriter, r Reply) {
	if r.RetryAfter != "" {
		w.Header().Set("Retry-After", r.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code": r.Code, "message": r.Message, "status": r.Status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", r.Code),
	})
}

// Sign computes X-Twilio-Signature as Twilio documents it: HMAC-SHA1,
// keyed with the auth token, over the full URL followed by every POST
// parameter's name and value, sorted by name; base64.
func Sign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(form.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Post posts form to fullURL as Twilio posts webhooks, signed with token
// (AuthToken for a genuine request, anything else for a forged one), and
// returns the answer's status.
func Post(fullURL, token string, form url.Values) (int, error) {
	return postVia(fullURL, fullURL, token, form)
}

// Webhook posts form as Twilio would to fullURL (a URL under the daemon's
// public URL), through Forward, signed with token.
func (s *Server) Webhook(fullURL, token string, form url.Values) (int, error) {
	target := fullURL
	if s.Forward != nil {
		target = s.Forward(fullURL)
	}
	return postVia(target, fullURL, token, form)
}

// postVia posts form to target with a signature over signedURL.
func postVia(target, signedURL, token string, form url.Values) (int, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", Sign(token, signedURL, form))
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// StatusForm is the form of a status callback for message sid.
func StatusForm(sid, status, errorCode string) url.Values {
	f := url.Values{"AccountSid": {AccountSID}, "ApiVersion": {"2010-04-01"}, "MessageSid": {sid},
		"SmsSid": {sid}, "MessageStatus": {status}, "SmsStatus": {status}}
	if errorCode != "" {
		f.Set("ErrorCode", errorCode)
	}
	return f
}

// Callback sends message m's status callback (to the StatusCallback URL
// it was created with), signed as Twilio does, and returns the answer's
// status.
func (s *Server) Callback(m Message, status, errorCode string) (int, error) {
	if m.StatusCallback == "" {
		return 0, fmt.Errorf("message %s was sent without a StatusCallback", m.SID)
	}
	f := StatusForm(m.SID, status, errorCode)
	f.Set("To", m.To)
	f.Set("From", m.From)
	return s.Webhook(m.StatusCallback, AuthToken, f)
}

// InboundForm is the form of an incoming message from a resident.
func (s *Server) InboundForm(from, to, body string) url.Values {
	s.mu.Lock()
	s.seq++
	sid := fmt.Sprintf("SM%032x", s.seq)
	s.mu.Unlock()
	return url.Values{"AccountSid": {AccountSID}, "ApiVersion": {"2010-04-01"}, "MessageSid": {sid}, "SmsSid": {sid},
		"SmsMessageSid": {sid}, "From": {from}, "To": {to}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"},
		"SmsStatus": {"received"}, "FromCountry": {"CN"}, "ToCountry": {"US"}}
}
