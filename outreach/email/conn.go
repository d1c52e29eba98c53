package email

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// conn is one slot of the pool: a go-mail Client, which holds at most one
// SMTP connection, and the socket under that connection. Only the goroutine
// that took the slot from the pool, or was handed it by the one before
// (Sender.handOn), touches it; the pool's channel and the hand-over
// channel order those goroutines.
type conn struct {
	id      int
	client  *gomail.Client
	timeout time.Duration
	// sc is the SMTP session of the current connection (nil when there is
	// none); messages go through transact on it.
	sc *smtp.Client
	// ext is what sc's server offers (serverExtensions), read at connect.
	ext extensions
	// data buffers the DATA of messages over dataFor's writer (dataWriter).
	data    *bufio.Writer
	dataFor *smtp.Client
	// claim, when set, takes the longest-waiting Send for a connection
	// and returns it with its envelope (Sender.claim); transact writes that
	// envelope after its own message. next is the Send so claimed: the slot
	// goes to it, not back to the pool, when this message is done. pending
	// says that the envelope of the slot's next message (after the hand-over,
	// the new holder's) is on the wire of a connection in step, its replies
	// unread: transact reads them and clears it. A dropped connection clears
	// it too (the message then goes from the start); a slot in the pool
	// never has it.
	claim   func(mailParams string) (*waiter, [envelopeCmds]string)
	next    *waiter
	pending bool
	// raw is the TCP socket of the current connection, nil when there is
	// none. Closing it is how a broken or cancelled connection is dropped:
	// it cannot block, unlike QUIT.
	raw net.Conn
	// open mirrors raw != nil for Sender.Stats, which reads it from
	// another goroutine.
	open atomic.Bool
}

// newConn builds slot id; it does not dial.
func newConn(id int, s Settings, tlsCfg *tls.Config, timeout time.Duration) (*conn, error) {
	c := &conn{id: id, timeout: timeout}
	opts := []gomail.Option{
		gomail.WithPort(s.Port),
		gomail.WithTimeout(timeout),
		// A NOOP before every message is one more round trip to learn what
		// MAIL FROM tells us anyway; a broken connection is redialled below.
		gomail.WithoutNoop(),
		gomail.WithTLSConfig(tlsCfg),
		gomail.WithDialContextFunc(c.dial(s, tlsCfg)),
	}
	switch s.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// The handshake happens in c.dial; WithSSL tells go-mail not to
		// attempt STARTTLS on top of it.
		opts = append(opts, gomail.WithSSL())
	}
	if s.Username != "" {
		opts = append(opts,
			gomail.WithUsername(s.Username),
			gomail.WithPassword(s.Password.Reveal()),
			gomail.WithOpportunisticSMTPAuth(authMechanisms(s.TLS)...),
		)
	}
	client, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("create SMTP client: %w", err)
	}
	c.client = client
	return c, nil
}

// authMechanisms are PLAIN then LOGIN, whichever the server offers. Without
// TLS they are the NOENC variants: the operator chose tls=none explicitly
// (a relay on localhost or a private network), and New warns about it.
func authMechanisms(mode TLSMode) []gomail.SMTPAuthType {
	if mode == TLSNone {
		return []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
	}
	return []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
}

// dial is go-mail's dial function for this slot. It keeps the socket in
// c.raw and does the implicit-TLS handshake itself (go-mail skips its own
// when a dial function is given).
func (c *conn) dial(s Settings, tlsCfg *tls.Config) gomail.DialContextFunc {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(ctx, network, s.addr())
		if err != nil {
			return nil, err
		}
		c.raw = raw
		if s.TLS != TLSImplicit {
			return raw, nil
		}
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		return tc, nil
	}
}

// connected reports whether the slot holds a connection believed usable.
func (c *conn) connected() bool { return c.raw != nil && c.sc != nil }

// connect dials, greets, upgrades and authenticates. On failure nothing is
// left open (go-mail does not close a connection whose EHLO, STARTTLS or
// AUTH failed, so the socket is closed here).
func (c *conn) connect(ctx context.Context) error {
	sc, err := c.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		c.drop()
		return err
	}
	c.open.Store(true)
	c.sc = sc
	c.ext = serverExtensions(sc)
	return nil
}

// send sends msg on the current connection. A cancelled ctx closes the
// socket, which aborts the exchange at once (a Send whose envelope went
// with this message then finds the connection dropped and starts afresh).
func (c *conn) send(ctx context.Context, msg *Msg) error {
	raw := c.raw
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	err := c.transact(c.sc, msg, c.timeout)
	if !stop() {
		c.drop()
	}
	return err
}

// drop forgets the connection without a goodbye: it is broken, or its
// state is unknown.
func (c *conn) drop() {
	if c.raw != nil {
		_ = c.raw.Close()
		c.raw = nil
	}
	c.open.Store(false)
	c.sc = nil
	c.pending = false
}

// quit says goodbye (QUIT) within timeout and closes the connection.
func (c *conn) quit(timeout time.Duration) error {
	if c.raw == nil {
		return nil
	}
	// The deadline of an idle connection has long passed; give QUIT its own.
	_ = c.raw.SetDeadline(time.Now().Add(timeout))
	err := c.client.CloseWithSMTPClient(c.sc)
	c.drop()
	return err
}
