package daemon_test

import (
	"encoding/json"

	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server in the test process that keeps what it
// receives and can be told to refuse recipients.
type smtpServer struct {
	addr string

	mu        sync.Mutex
	messages  []smtpMessage
	attempts  map[string]int // DATA attempts per recipient
	tempFails map[string]int // recipient -> how many more 451 replies
	rejects   map[string]bool
	dataDelay time.Duration
	inData    chan string // receives the recipient when a DATA starts
}

type smtpMessage struct {
	From string
	To   []string
	Data string
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{attempts: map[string]int{}, tempFails: map[string]int{}, rejects: map[string]bool{}, inData: make(chan string, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *smtpServer) received(to string) []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []smtpMessage
	for _, m := range s.messages {
		for _, r := range m.To {
			if r == to {
				out = append(out, m)
			}
		}
	}
	return out
}

func (s *smtpServer) attemptsFor(to string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[to]
}

type smtpSession struct {
	srv  *smtpServer
	from string
	to   []string
}

func (s *smtpSession) AuthMechanisms() []string { return nil }
func (s *smtpSession) Reset()                   { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error            { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.rejects[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	delay := s.srv.dataDelay
	var fail bool
	for _, to := range s.to {
		s.srv.attempts[to]++
		if s.srv.tempFails[to] > 0 {
			s.srv.tempFails[to]--
			fail = true
		}
	}
	s.srv.mu.Unlock()
	for _, to := range s.to {
		s.srv.inData <- to
	}
	time.Sleep(delay)
	if fail {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.srv.mu.Lock()
	s.srv.messages = append(s.srv.messages, smtpMessage{From: s.from, To: s.to, Data: string(b)})
	s.srv.mu.Unlock()
	return nil
}

// twilioServer stands in for Twilio's Messages API; the real twilio-go
// client talks to it. Numbers in unsubscribed answer with error 21610.
type twilioServer struct {
	*httptest.Server
	sid, token string

	mu           sync.Mutex
	calls        map[string]int // per To
	bodies       map[string][]string
	unsubscribed map[string]bool
}

func newTwilioServer(t *testing.T) *twilioServer {
	t.Helper()
	ts := &twilioServer{sid: "AC0123456789abcdef0123456789abcdef", token: "testtoken0123456789",
		calls: map[string]int{}, bodies: map[string][]string{}, unsubscribed: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *twilioServer) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != ts.sid || pass != ts.token {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 20003, "message": "Authenticate", "status": 401})
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+ts.sid+"/Messages.json" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	to := r.PostForm.Get("To")
	ts.mu.Lock()
	ts.calls[to]++
	n := ts.calls[to]
	unsub := ts.unsubscribed[to]
	if !unsub {
		ts.bodies[to] = append(ts.bodies[to], r.PostForm.Get("Body"))
	}
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if unsub {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400})
		return
	}
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": "SM" + strings.Repeat("0", 30) + string(rune('a'+n%26)), "status": "queued", "to": to, "body": r.PostForm.Get("Body")})
}

func (ts *twilioServer) callsTo(to string) (int, []string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.calls[to], append([]string(nil), ts.bodies[to]...)
}

// eventually polls cond until it holds or the deadline passes. It waits for
// asynchronous work; it asserts nothing about speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
