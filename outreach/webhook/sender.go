package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/outreach-dev/outreach/outreach"
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("chat webhook sender is closed")

// maxAnswer bounds how much of a robot's answer is read.
const maxAnswer = 64 << 10

// Sender posts messages to one chat robot. It implements outreach.Sender
// and is safe for concurrent use.
type Sender struct {
	cfg    Config
	url    *url.URL
	client *http.Client
	log    *slog.Logger
	closed atomic.Bool
}

var _ outreach.Sender = (*Sender)(nil)

// New validates cfg and returns a Sender. It makes no request.
func New(cfg Config) (*Sender, error) {
	cfg = cfg.withDefaults()
	u, err := cfg.validate()
	if err != nil {
		return nil, fmt.Errorf("configure %s channel: %w", cfg.Channel, err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	return &Sender{
		cfg: cfg,
		url: u,
		client: &http.Client{
			Transport: transport,
			// A redirect is an answer, not something to follow with the key.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log: cfg.Logger.With("channel", string(cfg.Channel), "host", u.Host),
	}, nil
}

// Channel is the robot's chat channel.
func (s *Sender) Channel() outreach.Channel { return s.cfg.Channel }

// Send posts m's subject and text to the robot. m.To is not used: the
// robot's group is the recipient. The receipt's status is StatusSent and
// it has no provider id (robots give none).
func (s *Sender) Send(ctx context.Context, m outreach.Message) (outreach.Receipt, error) {
	if s.closed.Load() {
		return outreach.Receipt{}, fmt.Errorf("post to the %s robot: %w", s.cfg.Channel, ErrClosed)
	}
	text := content(m)
	switch {
	case text == "":
		return outreach.Receipt{}, &outreach.SendError{Permanent: true, Reason: ReasonInvalidMessage,
			Err: fmt.Errorf("post to the %s robot: the message has no text", s.cfg.Channel)}
	case tooLong(s.cfg.Channel, text):
		return outreach.Receipt{}, &outreach.SendError{Permanent: true, Reason: ReasonTooLong,
			Err: fmt.Errorf("post to the %s robot: the text is %d bytes, over the limit of %d", s.cfg.Channel, len(text), maxBytes[s.cfg.Channel])}
	}
	body, err := payload(s.cfg.Channel, text)
	if err != nil {
		return outreach.Receipt{}, &outreach.SendError{Permanent: true, Reason: ReasonInvalidMessage, Err: fmt.Errorf("encode %s payload: %w", s.cfg.Channel, err)}
	}
	target := s.url.String()
	if s.cfg.Secret != "" {
		target = signedURL(s.url, s.cfg.Secret.Reveal(), s.cfg.Now())
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return outreach.Receipt{}, connectionFailure(s.cfg.Channel, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		return outreach.Receipt{}, connectionFailure(s.cfg.Channel, err)
	}
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	if readErr != nil && resp.StatusCode < 300 {
		return outreach.Receipt{}, connectionFailure(s.cfg.Channel, fmt.Errorf("read the answer: %w", readErr))
	}
	if se := classify(s.cfg.Channel, resp.StatusCode, resp.Header, answer); se != nil {
		s.log.DebugContext(ctx, "robot refused the message", "job", m.JobID, "reason", se.Reason, "code", se.Code, "permanent", se.Permanent)
		return outreach.Receipt{}, se
	}
	s.log.DebugContext(ctx, "robot took the message", "job", m.JobID)
	return outreach.Receipt{Status: outreach.StatusSent}, nil
}

// Close releases idle connections; later Sends fail with ErrClosed.
func (s *Sender) Close() error {
	s.closed.Store(true)
	s.client.CloseIdleConnections()
	return nil
}
