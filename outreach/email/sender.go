package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("email sender is closed")

// quitTimeout bounds the QUIT of each connection in Close.
const quitTimeout = 5 * time.Second

// Sender sends email over a pool of persistent SMTP connections. It is safe
// for concurrent use; at most Config.Conns messages are in flight at once.
type Sender struct {
	settings Settings
	from     *mail.Address
	log      *slog.Logger

	// idle holds the slots not in use; a Send takes one and gives it back.
	// A slot is dialled on first use and redialled when found broken.
	idle chan *conn
	size int
	all  []*conn // every slot, for Stats
	// waited is Config.Waited, or nil.
	waited func(time.Duration)

	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

var _ outreach.Sender = (*Sender)(nil)

// New validates cfg and builds the pool. It does not dial: connections are
// opened by the first messages that need them.
func New(cfg Config) (*Sender, error) {
	cfg = cfg.withDefaults()
	settings, from, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	s := &Sender{
		settings: settings,
		from:     from,
		log:      cfg.Logger.With("channel", outreach.ChannelEmail, "smtp", settings.addr()),
		idle:     make(chan *conn, cfg.Conns),
		size:     cfg.Conns,
		done:     make(chan struct{}),
		waited:   cfg.Waited,
	}
	tlsCfg := clientTLS(cfg.TLSConfig, settings.Host)
	for i := range cfg.Conns {
		c, err := newConn(i, settings, tlsCfg, cfg.Timeout)
		if err != nil {
			return nil, err
		}
		s.idle <- c
		s.all = append(s.all, c)
	}
	if settings.Username != "" && settings.TLS == TLSNone && !isLoopback(settings.Host) {
		s.log.Warn("SMTP credentials will cross the network unencrypted (tls=none)")
	}
	return s, nil
}

// clientTLS is the TLS configuration for STARTTLS and implicit TLS: the
// caller's, or the system roots, verifying the URL's host by default.
func clientTLS(base *tls.Config, host string) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		cfg = base.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Channel is email.
func (s *Sender) Channel() outreach.Channel { return outreach.ChannelEmail }

// Send delivers m to m.To. It waits for a free connection (or ctx), and
// retries once on a fresh connection when the one it used turns out to be
// broken. Failures are *outreach.SendError values, except for ctx's own
// error and ErrClosed. The receipt's ProviderID is the Message-ID.
func (s *Sender) Send(ctx context.Context, m outreach.Message) (outreach.Receipt, error) {
	msg := pooledMsg()
	defer releaseMsg(msg)
	if err := compose(msg, s.from, m, time.Now()); err != nil {
		return outreach.Receipt{}, err
	}
	waitStart := time.Now()
	c, err := s.acquire(ctx)
	if s.waited != nil {
		s.waited(time.Since(waitStart))
	}
	if err != nil {
		return outreach.Receipt{}, err
	}
	defer s.release(c)
	if err := s.deliver(ctx, c, msg, m.To); err != nil {
		return outreach.Receipt{}, err
	}
	return outreach.Receipt{ProviderID: msg.MessageID(), Status: outreach.StatusSent}, nil
}

// acquire takes a slot from the pool, waiting for one if all are busy.
func (s *Sender) acquire(ctx context.Context) (*conn, error) {
	select {
	case <-s.done:
		return nil, ErrClosed
	default:
	}
	select {
	case c := <-s.idle:
		select {
		case <-s.done: // Close began while we waited; it wants the slot back.
			s.release(c)
			return nil, ErrClosed
		default:
			return c, nil
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a free SMTP connection: %w", ctx.Err())
	case <-s.done:
		return nil, ErrClosed
	}
}

// PoolStats is a snapshot of the connection pool.
type PoolStats struct {
	Size  int // slots (Config.Conns)
	InUse int // slots taken by a message being sent
	Open  int // slots holding an established SMTP connection
}

// Stats reports the pool's use; safe to call at any time (metrics scrapes).
func (s *Sender) Stats() PoolStats {
	st := PoolStats{Size: s.size, InUse: s.size - len(s.idle)}
	for _, c := range s.all {
		if c.open.Load() {
			st.Open++
		}
	}
	return st
}

// release returns a slot; it never blocks, the channel has room for all.
func (s *Sender) release(c *conn) { s.idle <- c }

// deliver sends msg on slot c, dialling when the slot has no connection,
// and retries once on a fresh connection when the first one is broken.
func (s *Sender) deliver(ctx context.Context, c *conn, msg *Msg, rcpt string) error {
	for attempt := 1; ; attempt++ {
		if !c.connected() {
			if err := c.connect(ctx); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("connect to SMTP server: %w", ctx.Err())
				}
				s.log.Debug("cannot connect to the SMTP server", "conn", c.id, "error", err)
				return dialFailure(fmt.Errorf("connect to SMTP server %s: %w", s.settings.addr(), err))
			}
			s.log.Debug("connected to the SMTP server", "conn", c.id)
		}
		err := c.send(ctx, msg)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			c.drop()
			return fmt.Errorf("send email: %w", ctx.Err())
		}
		f := classify(err, rcpt)
		if !f.broken {
			s.log.Debug("SMTP server refused the message", "conn", c.id, "to", MaskEmail(rcpt), "error", f.err)
			return f.err
		}
		c.drop()
		if attempt == 2 {
			s.log.Debug("SMTP connection broke twice for one message", "conn", c.id, "to", MaskEmail(rcpt), "error", f.err)
			return f.err
		}
		s.log.Debug("SMTP connection broken; redialling", "conn", c.id, "error", f.err)
	}
}

// Close waits for the messages in flight, says QUIT on every open
// connection and closes it. Send fails with ErrClosed afterwards. A QUIT
// that fails (the server may have dropped an idle connection long ago) is
// logged, not returned: the connection is closed either way.
func (s *Sender) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		for range s.size {
			c := <-s.idle
			if err := c.quit(quitTimeout); err != nil {
				s.log.Debug("QUIT failed", "conn", c.id, "error", err)
			}
		}
	})
	return nil
}

// Probe asks the SMTP server whether it would take mail, without sending
// any: on a free slot, it connects if the slot has no connection, opens a
// transaction with MAIL FROM (the daemon's sender) and ends it with RSET.
// A server that greets and answers NOOP but refuses or stalls MAIL (451,
// a reply later than the send timeout) is down for a probe as it is for a
// message. It waits for a free slot as long as ctx allows; a pool busy
// sending answers the question better than a probe, so a caller should
// give it a short ctx. Any failure drops the connection.
func (s *Sender) Probe(ctx context.Context) error {
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(c)
	if !c.connected() {
		if err := c.connect(ctx); err != nil {
			return fmt.Errorf("probe SMTP server %s: connect: %w", s.settings.addr(), err)
		}
	}
	raw := c.raw
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	err = c.sc.UpdateDeadline(c.timeout)
	if err == nil {
		err = c.sc.Mail("<" + s.from.Address + ">")
	}
	if err == nil {
		err = c.sc.Reset()
	}
	if !stop() || err != nil {
		c.drop()
	}
	if err != nil {
		return fmt.Errorf("probe SMTP server %s: %w", s.settings.addr(), err)
	}
	return nil
}
