package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twilio/twilio-go/client"
	twilioapi "github.com/twilio/twilio-go/rest/api/v2010"
	"golang.org/x/time/rate"

	"github.com/outreach-dev/outreach/outreach"
)

// Sender sends SMS through Twilio's Messages API. It implements
// outreach.Sender and is safe for concurrent use.
type Sender struct {
	cfg       Config
	base      *url.URL // Twilio's base URL, path without a trailing "/"
	creds     *client.Credentials
	transport *http.Transport // connection pool shared by every Send
	limit     *rate.Limiter   // nil: no rate limit
	log       *slog.Logger
	closed    atomic.Bool
}

var _ outreach.Sender = (*Sender)(nil)

// New validates cfg, fills its defaults and returns a Sender. It makes no
// request to Twilio.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configure SMS channel: %w", err)
	}
	cfg = cfg.withDefaults()
	base, err := parseAPIURL(cfg.APIURL)
	if err != nil { // Validate has checked it; kept for safety
		return nil, fmt.Errorf("configure SMS channel: %w", err)
	}
	s := &Sender{
		cfg:       cfg,
		base:      base,
		creds:     client.NewCredentials(cfg.AccountSID, string(cfg.AuthToken)),
		transport: newSharedTransport(),
		log:       cfg.Logger.With("channel", string(outreach.ChannelSMS)),
	}
	if cfg.Rate > 0 {
		// A burst of one: a long code that takes 1/s is not sent 10 at once
		// after a quiet minute.
		s.limit = rate.NewLimiter(rate.Limit(cfg.Rate), 1)
	}
	s.log.Debug("SMS channel ready", "api", base.Redacted(), "from", cfg.From,
		"messaging_service_sid", cfg.MessagingServiceSID, "timeout", cfg.Timeout,
		"rate", cfg.Rate, "max_segments", cfg.MaxSegments)
	return s, nil
}

// Channel returns outreach.ChannelSMS.
func (s *Sender) Channel() outreach.Channel { return outreach.ChannelSMS }

// Send asks Twilio to send m.Text to m.To. It returns once Twilio has
// accepted the message, normally with StatusQueued; delivery is reported
// later to the status callback. The receipt carries the segments and
// encoding of the text. Failures are *outreach.SendError values (see
// classify).
//
// Send first waits for the rate limit (Config.Rate), as long as ctx
// allows. twilio-go has no context: Send attaches ctx, bounded by
// Config.Timeout, to the HTTP request in its transport. twilio-go does not
// retry; the caller does.
func (s *Sender) Send(ctx context.Context, m outreach.Message) (outreach.Receipt, error) {
	if s.closed.Load() {
		return outreach.Receipt{}, fmt.Errorf("send SMS: %w", ErrClosed)
	}
	if err := checkMessage(m); err != nil {
		return outreach.Receipt{}, err
	}
	size := Measure(m.Text)
	if s.cfg.MaxSegments > 0 && size.Segments > s.cfg.MaxSegments {
		return outreach.Receipt{}, &outreach.SendError{Permanent: true, Reason: ReasonTooLong,
			Err: fmt.Errorf("send SMS: the text takes %d %s segments, more than the maximum of %d (%s)",
				size.Segments, size.Encoding, s.cfg.MaxSegments, EnvMaxSegments)}
	}
	if err := ctx.Err(); err != nil {
		return outreach.Receipt{}, fmt.Errorf("send SMS: %w", err)
	}
	if err := s.wait(ctx); err != nil {
		return outreach.Receipt{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	x := &exchange{ctx: ctx, base: s.base, next: s.transport}
	msg, err := s.api(x).CreateMessage(s.params(m))
	if err != nil {
		se := classify(err, outcome{status: x.status, retryAfter: parseRetryAfter(x.retryAfter, time.Now())}, s.redactor(m.To))
		s.debug(ctx, "Twilio refused SMS", m, "reason", se.Reason, "code", se.Code,
			"permanent", se.Permanent, "retry_after", se.RetryAfter, "err", se.Err)
		return outreach.Receipt{}, se
	}
	if msg.Sid == nil || *msg.Sid == "" {
		return outreach.Receipt{}, &outreach.SendError{Reason: ReasonBadResponse,
			Err: fmt.Errorf("read Twilio's answer (HTTP %d): no message SID", x.status)}
	}
	twilioStatus := ""
	if msg.Status != nil {
		twilioStatus = *msg.Status
	}
	s.debug(ctx, "Twilio accepted SMS", m, "sid", *msg.Sid, "twilio_status", twilioStatus,
		"segments", size.Segments, "encoding", size.Encoding)
	// Twilio answers "queued" (sent from a number) or "accepted" (through a
	// Messaging Service), sometimes "scheduled"; all mean it has taken the
	// message. The status callback later reports sent/delivered/undelivered.
	st, ok := MapStatus(twilioStatus)
	if !ok || !st.Accepted() {
		st = outreach.StatusQueued
	}
	return outreach.Receipt{ProviderID: *msg.Sid, Status: st, Segments: size.Segments, Encoding: string(size.Encoding)}, nil
}

// wait holds the message until the rate limit lets it go. Giving up
// because ctx would end first is a temporary failure: the job retries.
func (s *Sender) wait(ctx context.Context) error {
	if s.limit == nil {
		return nil
	}
	start := time.Now()
	err := s.limit.Wait(ctx)
	if s.cfg.Waited != nil {
		s.cfg.Waited(time.Since(start))
	}
	if err != nil {
		return &outreach.SendError{Reason: ReasonRateLimit, Err: fmt.Errorf("wait for the SMS rate limit (%s): %w", EnvRate, err)}
	}
	return nil
}

// debug logs about m, with its number masked; the masking is skipped when
// debug logs are off.
func (s *Sender) debug(ctx context.Context, msg string, m outreach.Message, args ...any) {
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	args = append([]any{"delivery_id", m.DeliveryID, "to", MaskPhone(m.To)}, args...)
	s.log.DebugContext(ctx, msg, args...)
}

// api builds the lightweight twilio-go client of one Send around its
// exchange. The RequestHandler is built directly rather than through
// twilio.NewRestClientWithParams, which would build ~60 API services and
// read TWILIO_EDGE/TWILIO_REGION (the base URL is ours to decide).
func (s *Sender) api(x *exchange) *twilioapi.ApiService {
	c := &client.Client{
		Credentials: s.creds,
		// No http.Client.Timeout: the exchange's context already bounds the
		// request, and the client's timer would outlive every error
		// response, whose body twilio-go never closes.
		HTTPClient: &http.Client{
			Transport: x,
			// Like twilio-go's default client: a redirect is an answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		UserAgentExtensions: []string{"outreach"},
	}
	c.SetAccountSid(s.cfg.AccountSID)
	return twilioapi.NewApiService(&client.RequestHandler{Client: c})
}

func (s *Sender) params(m outreach.Message) *twilioapi.CreateMessageParams {
	p := (&twilioapi.CreateMessageParams{}).SetTo(m.To).SetBody(m.Text)
	if s.cfg.From != "" {
		p.SetFrom(s.cfg.From)
	}
	if s.cfg.MessagingServiceSID != "" {
		p.SetMessagingServiceSid(s.cfg.MessagingServiceSID)
	}
	if s.cfg.StatusCallback != "" {
		p.SetStatusCallback(s.cfg.StatusCallback)
	}
	return p
}

// redactor masks the recipient, any other phone-like number and the token in
// text that Twilio sent back.
func (s *Sender) redactor(to string) func(string) string {
	return func(text string) string {
		if to != "" {
			text = strings.ReplaceAll(text, to, MaskPhone(to))
		}
		if tok := string(s.cfg.AuthToken); tok != "" {
			text = strings.ReplaceAll(text, tok, outreach.Secret("").String())
		}
		return maskPhones(text)
	}
}

// checkMessage refuses, without asking Twilio, a message that cannot be sent.
func checkMessage(m outreach.Message) error {
	var err error
	switch {
	case m.Channel != "" && m.Channel != outreach.ChannelSMS:
		err = fmt.Errorf("message is for channel %q", m.Channel)
	case m.To == "":
		err = errors.New("message has no recipient phone number")
	case strings.TrimSpace(m.Text) == "":
		err = errors.New("message has no text")
	default:
		return nil
	}
	return &outreach.SendError{Permanent: true, Reason: ReasonInvalidMessage, Err: fmt.Errorf("send SMS: %w", err)}
}

// Close releases idle connections. Sends in flight finish; later ones fail
// with ErrClosed. Close is idempotent.
func (s *Sender) Close() error {
	s.closed.Store(true)
	s.transport.CloseIdleConnections()
	return nil
}

// Probe asks Twilio whether it is up without sending a message: it fetches
// the account resource (GET /2010-04-01/Accounts/{Sid}.json), which costs
// nothing. An error answer, a refused connection or a timeout is an error;
// so are wrong credentials, which would fail every send too.
func (s *Sender) Probe(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("probe Twilio: %w", ErrClosed)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	x := &exchange{ctx: ctx, base: s.base, next: s.transport}
	if _, err := s.api(x).FetchAccount(s.cfg.AccountSID); err != nil {
		return fmt.Errorf("probe Twilio (HTTP %d): %w", x.status, err)
	}
	return nil
}
