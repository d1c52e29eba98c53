package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// received counts what the stand-ins accepted, per job and resident
// address: a count above one is a duplicate at the receiver.
type received struct {
	mu    sync.Mutex
	count map[string]int       // job id + "|" + address
	first map[string]time.Time // job id: when it first arrived
	times []time.Time          // every acceptance, in order
}

func newReceived() *received {
	return &received{count: map[string]int{}, first: map[string]time.Time{}}
}

func (r *received) add(job, addr string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count[job+"|"+addr]++
	if _, ok := r.first[job]; !ok {
		r.first[job] = now
	}
	r.times = append(r.times, now)
}

// firstAfter is the first acceptance at or after t (zero: none yet).
func (r *received) firstAfter(t time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.times) - 1; i >= 0; i-- {
		if r.times[i].Before(t) {
			if i+1 < len(r.times) {
				return r.times[i+1]
			}
			return time.Time{}
		}
	}
	if len(r.times) > 0 {
		return r.times[0]
	}
	return time.Time{}
}

func (r *received) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.times)
}

// jobRef finds the job id the chaos run puts in every message's title.
var jobRef = regexp.MustCompile(`ref (chaos-[0-9a-z]+-[a-z0-9-]+-j[0-9]+)`)

// fault modes of the stand-ins.
const (
	modeUp       int32 = iota
	modeRefused        // SMTP: nothing listens
	modeTempFail       // SMTP: 421 on connect, 451 on MAIL; Twilio: 500/503
	modeSlow           // SMTP: MAIL answered after slowDelay
	modeTooMany        // Twilio: 429 with Retry-After
)

// smtpStandIn is an in-process SMTP server (go-smtp) on a fixed loopback
// port, which can be taken down (connections refused), made to answer
// 421/451, or made slow.
type smtpStandIn struct {
	addr      string
	got       *received
	mode      atomic.Int32
	slowDelay time.Duration

	mu  sync.Mutex
	srv *smtp.Server
}

func newSMTPStandIn(port int, got *received, slowDelay time.Duration) (*smtpStandIn, error) {
	s := &smtpStandIn{addr: fmt.Sprintf("127.0.0.1:%d", port), got: got, slowDelay: slowDelay}
	return s, s.listen()
}

func (s *smtpStandIn) url() string { return "smtp://" + s.addr + "?tls=none" }

func (s *smtpStandIn) listen() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("SMTP stand-in: %w", err)
	}
	srv := smtp.NewServer(smtpBackend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.MaxRecipients = 10
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// setMode switches the fault; down closes the listener and every open
// connection, up listens again on the same port.
func (s *smtpStandIn) setMode(m int32) error {
	old := s.mode.Swap(m)
	switch {
	case m == modeRefused && old != modeRefused:
		s.mu.Lock()
		srv := s.srv
		s.srv = nil
		s.mu.Unlock()
		if srv != nil {
			_ = srv.Close()
		}
	case m != modeRefused && old == modeRefused:
		return s.listen()
	}
	return nil
}

func (s *smtpStandIn) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		_ = s.srv.Close()
	}
}

type smtpBackend struct{ s *smtpStandIn }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	if b.s.mode.Load() == modeTempFail {
		return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service not available, closing transmission channel"}
	}
	return &smtpSession{s: b.s}, nil
}

type smtpSession struct {
	s    *smtpStandIn
	rcpt []string
}

func (ss *smtpSession) Mail(string, *smtp.MailOptions) error {
	switch ss.s.mode.Load() {
	case modeTempFail:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Requested action aborted: local error in processing"}
	case modeSlow:
		// The answer comes after the sender's timeout: it has given up
		// before DATA, so nothing is accepted twice.
		time.Sleep(ss.s.slowDelay)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Too slow"}
	}
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpt = append(ss.rcpt, strings.ToLower(to))
	return nil
}

// latency is how long the stand-ins take to accept a message, as a
// provider on the network does: the daemons' workers are busy a while.
const latency = 50 * time.Millisecond

func (ss *smtpSession) Data(r io.Reader) error {
	time.Sleep(latency)
	msg, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unreadable message"}
	}
	body, _ := io.ReadAll(msg.Body)
	job := msg.Header.Get("X-Outreach-Job")
	if job == "" {
		if m := jobRef.FindSubmatch(body); m != nil {
			job = string(m[1])
		}
	}
	for _, to := range ss.rcpt {
		ss.s.got.add(job, to)
	}
	return nil
}

func (ss *smtpSession) Reset()        { ss.rcpt = nil }
func (ss *smtpSession) Logout() error { return nil }

// twilioStandIn answers Twilio's Messages API on loopback, or fails the
// way Twilio does when it is in trouble: 500/503, or 429 with Retry-After.
type twilioStandIn struct {
	srv  *http.Server
	url  string
	got  *received
	mode atomic.Int32
	n    atomic.Int64
}

const (
	twilioSID   = "ACchaos0000000000000000000000000"
	twilioToken = "chaostoken"
)

func newTwilioStandIn(port int, got *received) (*twilioStandIn, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("Twilio stand-in: %w", err)
	}
	t := &twilioStandIn{url: "http://" + ln.Addr().String(), got: got}
	t.srv = &http.Server{Handler: http.HandlerFunc(t.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

// serve answers the Messages API and, for the daemons' probes (see
// outreach.Prober), the account resource, which is never counted as a
// message; both fail alike while the stand-in is in trouble.
func (t *twilioStandIn) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		twilioError(w, 400, 20001, "Bad form", "")
		return
	}
	n := t.n.Add(1)
	switch t.mode.Load() {
	case modeTempFail:
		if n%2 == 0 {
			twilioError(w, 503, 20503, "Service Unavailable", "")
		} else {
			twilioError(w, 500, 20500, "Internal Server Error", "")
		}
		return
	case modeTooMany:
		twilioError(w, 429, 20429, "Too Many Requests", "1")
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/2010-04-01/Accounts/"+twilioSID+".json" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": twilioSID, "status": "active"})
		return
	}
	job := ""
	if m := jobRef.FindStringSubmatch(r.PostForm.Get("Body")); m != nil {
		job = m[1]
	}
	time.Sleep(latency)
	t.got.add(job, r.PostForm.Get("To"))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032x", n), "status": "queued", "to": r.PostForm.Get("To")})
}

func twilioError(w http.ResponseWriter, status, code int, msg, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "status": status})
}

func (t *twilioStandIn) close() { _ = t.srv.Close() }
