package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"slices"
	"sync"
	"sync/atomic"
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

	// waiting are the Sends waiting for a slot, longest first; a slot's
	// holder may claim the first (claim) and hand its slot to it (handOn).
	mu      sync.Mutex
	waiting []*waiter
	chained atomic.Uint64 // messages handed a slot with their envelope sent

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
		c.claim = s.claim
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
	c, err := s.acquireFor(ctx, msg)
	if s.waited != nil {
		s.waited(time.Since(waitStart))
	}
	if err != nil {
		return outreach.Receipt{}, err
	}
	defer s.handOn(c)
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
		return s.took(c)
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a free SMTP connection: %w", ctx.Err())
	case <-s.done:
		return nil, ErrClosed
	}
}

// took checks a slot just taken from the pool: when Close began meanwhile,
// it wants the slot back.
func (s *Sender) took(c *conn) (*conn, error) {
	select {
	case <-s.done:
		s.release(c)
		return nil, ErrClosed
	default:
		return c, nil
	}
}

// waiter is a Send waiting for a slot. A slot's holder that claims it
// (claim) writes its envelope after the holder's own message and sends the
// slot on handed when that message is done.
type waiter struct {
	msg    *Msg
	handed chan *conn // buffered: the holder never blocks
}

// acquireFor takes a slot for msg: a free one at once, or else, waiting,
// the first free one or one whose holder claimed this Send (its pending
// then says that msg's envelope is on the connection already).
func (s *Sender) acquireFor(ctx context.Context, msg *Msg) (*conn, error) {
	select {
	case <-s.done:
		return nil, ErrClosed
	default:
	}
	select {
	case c := <-s.idle:
		return s.took(c)
	default:
	}
	w := &waiter{msg: msg, handed: make(chan *conn, 1)}
	s.mu.Lock()
	s.waiting = append(s.waiting, w)
	s.mu.Unlock()
	select {
	case c := <-s.idle:
		if s.unqueue(w) {
			return s.took(c)
		}
		// Claimed meanwhile: the claimer hands over a slot carrying our
		// envelope (soon: it is in its transaction); this one goes back.
		s.release(c)
		return <-w.handed, nil
	case c := <-w.handed:
		return c, nil
	case <-ctx.Done():
		s.giveUp(w)
		return nil, fmt.Errorf("wait for a free SMTP connection: %w", ctx.Err())
	case <-s.done:
		s.giveUp(w)
		return nil, ErrClosed
	}
}

// claim takes the longest-waiting Send, if any, for the caller's
// connection, and returns it with its envelope (MAIL params mailParams).
// A Send whose envelope is invalid is left waiting: it fails by itself.
func (s *Sender) claim(mailParams string) (*waiter, [envelopeCmds]string) {
	select {
	case <-s.done: // closing: the waiting Sends end with ErrClosed
		return nil, [envelopeCmds]string{}
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiting) == 0 {
		return nil, [envelopeCmds]string{}
	}
	w := s.waiting[0]
	cmds, err := envelopeOf(w.msg, mailParams)
	if err != nil {
		return nil, cmds
	}
	s.waiting = slices.Delete(s.waiting, 0, 1)
	return w, cmds
}

// unqueue removes w from the waiting Sends; false when a holder claimed it.
func (s *Sender) unqueue(w *waiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.waiting, w)
	if i < 0 {
		return false
	}
	s.waiting = slices.Delete(s.waiting, i, i+1)
	return true
}

// giveUp ends w's wait. When a holder claimed w, the slot it hands over
// carries an envelope nobody will finish: a goroutine waits for the slot
// (the holder's transaction bounds the wait), drops its connection and
// returns it to the pool.
func (s *Sender) giveUp(w *waiter) {
	if s.unqueue(w) {
		return
	}
	go func() {
		c := <-w.handed
		if c.pending {
			c.drop() // clears pending: a slot in the pool never has it
		}
		s.release(c)
	}()
}

// handOn gives slot c, when its message is done, to the Send whose
// envelope went with that message (c.next), or back to the pool.
func (s *Sender) handOn(c *conn) {
	w := c.next
	if w == nil {
		s.release(c)
		return
	}
	c.next = nil
	if c.pending {
		s.chained.Add(1)
	}
	w.handed <- c
}

// PoolStats is a snapshot of the connection pool.
type PoolStats struct {
	Size  int // slots (Config.Conns)
	InUse int // slots taken by a message being sent
	Open  int // slots holding an established SMTP connection
	// Chained counts, since New, the messages whose envelope went in the
	// write of the message before them on the same connection.
	Chained uint64
}

// Stats reports the pool's use; safe to call at any time (metrics scrapes).
func (s *Sender) Stats() PoolStats {
	st := PoolStats{Size: s.size, InUse: s.size - len(s.idle), Chained: s.chained.Load()}
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
