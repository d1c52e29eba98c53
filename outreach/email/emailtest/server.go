// Package emailtest runs a real SMTP server in the test process (emersion's
// go-smtp on 127.0.0.1), so that code sending email is tested against the
// protocol, not against a mock. The server records what it receives and can
// be told to refuse recipients, drop connections or hold a message.
package emailtest

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server. The zero value is a plain server without
// authentication.
type Options struct {
	// Username and Password, when set, make the server offer AUTH PLAIN
	// (also on a plain connection) and refuse mail until it succeeds.
	Username, Password string
	// TLS, when set, makes the server offer STARTTLS with it.
	TLS *tls.Config
	// ImplicitTLS makes the server speak TLS from the first byte (needs TLS).
	ImplicitTLS bool
	// Discard drops message data instead of keeping it (benchmarks).
	Discard bool
}

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	// TLS reports whether the message came over an encrypted connection.
	TLS bool
}

// Server is a running in-process SMTP server.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr string

	opts   Options
	ln     net.Listener
	srv    *smtp.Server
	served chan struct{}

	mu       sync.Mutex
	conns    map[*smtp.Conn]bool // every connection seen; true while open
	msgs     []Message
	received int
	auths    []string
	replies  map[string]reply
	rcpts    map[string]int
	drops    map[string]int
	holds    map[string]*hold
	data     map[string]*smtp.SMTPError
}

type hold struct {
	entered  chan struct{}
	released chan struct{}
	once     sync.Once
	// afterData: the hold comes after the data was read, before the reply.
	afterData bool
}

func (h *hold) release() { h.once.Do(func() { close(h.released) }) }

// NewServer starts a server on 127.0.0.1:0; tb's cleanup closes it.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen for the test SMTP server: %v", err)
	}
	if opts.ImplicitTLS {
		if opts.TLS == nil {
			tb.Fatal("emailtest: ImplicitTLS needs Options.TLS")
		}
		ln = tls.NewListener(ln, opts.TLS)
	}
	s := &Server{
		Addr:    ln.Addr().String(),
		opts:    opts,
		ln:      ln,
		served:  make(chan struct{}),
		conns:   make(map[*smtp.Conn]bool),
		replies: make(map[string]reply),
		rcpts:   make(map[string]int),
		drops:   make(map[string]int),
		holds:   make(map[string]*hold),
		data:    make(map[string]*smtp.SMTPError),
	}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	if !opts.ImplicitTLS {
		s.srv.TLSConfig = opts.TLS
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln)
	}()
	tb.Cleanup(s.close)
	return s
}

func (s *Server) close() {
	s.mu.Lock()
	for _, h := range s.holds {
		h.release()
	}
	s.mu.Unlock()
	_ = s.srv.Close()
	// smtp.Server.Close misses a listener that Serve has not registered
	// yet; closing it here ends Serve in every case.
	_ = s.ln.Close()
	<-s.served
}

// URL is an OUTREACH_SMTP_URL for this server, with the credentials of
// Options and the matching tls= mode.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr, RawQuery: "tls=none"}
	switch {
	case s.opts.ImplicitTLS:
		u.Scheme, u.RawQuery = "smtps", ""
	case s.opts.TLS != nil:
		u.RawQuery = "tls=starttls"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// Messages returns the accepted messages, in order of arrival.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Received counts the accepted messages, also when Options.Discard is set.
func (s *Server) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// Connections counts the SMTP connections clients have opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Auths lists the user names that authenticated, one per success.
func (s *Server) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

// reply is an answer to RCPT TO for a number of times (-1: always).
type reply struct {
	err   *smtp.SMTPError
	times int
}

// Reply makes the server answer RCPT TO:<rcpt> with err (a 451 or a 550,
// say) from now on.
func (s *Server) Reply(rcpt string, err *smtp.SMTPError) { s.ReplyTimes(rcpt, err, -1) }

// ReplyTimes makes the server answer the next times RCPT TO:<rcpt> with
// err, and accept the recipient after that (a 451 that clears up).
func (s *Server) ReplyTimes(rcpt string, err *smtp.SMTPError, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[rcpt] = reply{err: err, times: times}
}

// Attempts counts the RCPT TO commands for rcpt, accepted or not.
func (s *Server) Attempts(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcpts[rcpt]
}

// DropAtRcpt makes the server close the connection, without a reply, the
// next times RCPT TO:<rcpt> arrives.
func (s *Server) DropAtRcpt(rcpt string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops[rcpt] = times
}

// ReplyData makes the server answer the end of the data (".") of every
// message to rcpt with err, from now on: a refusal after DATA.
func (s *Server) ReplyData(rcpt string, err *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[rcpt] = err
}

// Hold makes the server stop in DATA for messages to rcpt until release is
// called; entered receives once for every message that reached DATA.
func (s *Server) Hold(rcpt string) (entered <-chan struct{}, release func()) {
	return s.hold(rcpt, false)
}

// HoldReply makes the server stop after it read the data of a message to
// rcpt, before its reply, until release is called; entered receives once
// for every message whose data was read (the client has written all it
// writes before the reply).
func (s *Server) HoldReply(rcpt string) (entered <-chan struct{}, release func()) {
	return s.hold(rcpt, true)
}

func (s *Server) hold(rcpt string, afterData bool) (entered <-chan struct{}, release func()) {
	h := &hold{entered: make(chan struct{}, 16), released: make(chan struct{}), afterData: afterData}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds[rcpt] = h
	return h.entered, h.release
}

// CloseConnections closes every open connection, as a server that restarts
// or times out idle clients does. When reply is not empty (e.g.
// "421 4.4.2 Idle timeout") it is written first.
func (s *Server) CloseConnections(reply string) {
	s.mu.Lock()
	var open []*smtp.Conn
	for c, isOpen := range s.conns {
		if isOpen {
			open = append(open, c)
		}
	}
	s.mu.Unlock()
	for _, c := range open {
		if reply != "" {
			_, _ = c.Conn().Write([]byte(reply + "\r\n"))
		}
		_ = c.Conn().Close()
	}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.conns[c] = true
	s.mu.Unlock()
	_, isTLS := c.TLSConnectionState()
	sess := &session{srv: s, conn: c, tls: isTLS, authed: s.opts.Username == ""}
	if s.opts.Username != "" {
		return &authSession{sess}, nil
	}
	return sess, nil
}

// session is one SMTP session (go-smtp starts a new one after STARTTLS).
type session struct {
	srv    *Server
	conn   *smtp.Conn
	tls    bool
	authed bool
	from   string
	to     []string
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error {
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	ss.srv.conns[ss.conn] = false
	return nil
}

// errAuthRequired is what real servers (Postfix, Exim) answer; go-smtp's
// own ErrAuthRequired says 502.
var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return errAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.authed {
		return errAuthRequired
	}
	s := ss.srv
	s.mu.Lock()
	s.rcpts[to]++
	var refuse *smtp.SMTPError
	if r, ok := s.replies[to]; ok && r.times != 0 {
		refuse = r.err
		if r.times > 0 {
			r.times--
			s.replies[to] = r
		}
	}
	drop := s.drops[to] > 0
	if drop {
		s.drops[to]--
	}
	s.mu.Unlock()
	if drop {
		_ = ss.conn.Conn().Close()
		return errors.New("connection dropped")
	}
	if refuse != nil {
		return refuse
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	s := ss.srv
	s.mu.Lock()
	var h *hold
	for _, to := range ss.to {
		if h = s.holds[to]; h != nil {
			break
		}
	}
	s.mu.Unlock()
	if h != nil && !h.afterData {
		h.entered <- struct{}{}
		<-h.released
	}
	var data []byte
	var err error
	if s.opts.Discard {
		_, err = io.Copy(io.Discard, r)
	} else {
		data, err = io.ReadAll(r)
	}
	if err != nil {
		return err
	}
	if h != nil && h.afterData {
		h.entered <- struct{}{}
		<-h.released
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, to := range ss.to {
		if refuse := s.data[to]; refuse != nil {
			return refuse
		}
	}
	s.received++
	if !s.opts.Discard {
		s.msgs = append(s.msgs, Message{From: ss.from, To: ss.to, Data: data, TLS: ss.tls})
	}
	return nil
}

// authSession adds AUTH PLAIN to a session.
type authSession struct{ *session }

func (as *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (as *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != as.srv.opts.Username || password != as.srv.opts.Password {
			return smtp.ErrAuthFailed
		}
		as.authed = true
		as.srv.mu.Lock()
		defer as.srv.mu.Unlock()
		as.srv.auths = append(as.srv.auths, username)
		return nil
	}), nil
}
