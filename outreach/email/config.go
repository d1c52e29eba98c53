package email

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"time"
)

// Defaults for Config.
const (
	DefaultConns   = 8 // measured best with 32 workers on 2 cores; see docs/benchmarks.md
	DefaultTimeout = 30 * time.Second
)

// Config configures a Sender.
type Config struct {
	// URL is OUTREACH_SMTP_URL: smtp://user:pass@host:port?tls=none|starttls|tls
	// or smtps://... (see ParseURL).
	URL string
	// From is OUTREACH_EMAIL_FROM, e.g. "Property Office <office@example.com>".
	From string
	// Conns is the number of persistent SMTP connections, DefaultConns when 0.
	Conns int
	// Timeout bounds dialing and each message's SMTP exchange,
	// DefaultTimeout when 0.
	Timeout time.Duration
	// TLSConfig overrides the TLS client settings (a private CA, say). Its
	// ServerName defaults to the URL's host. Nil uses the system roots.
	TLSConfig *tls.Config
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// Waited, when set, is told how long each message waited for a free
	// connection of the pool (the outreach_smtp_pool_wait_seconds metric).
	Waited func(time.Duration)
}

// withDefaults fills in the zero fields.
func (c Config) withDefaults() Config {
	c.Conns = cmp.Or(c.Conns, DefaultConns)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validate checks c and parses what it can; errors name the setting.
func (c Config) validate() (Settings, *mail.Address, error) {
	settings, err := ParseURL(c.URL)
	if err != nil {
		return Settings{}, nil, err
	}
	if c.From == "" {
		return Settings{}, nil, errors.New("OUTREACH_EMAIL_FROM is empty; want e.g. \"Property Office <office@example.com>\"")
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return Settings{}, nil, fmt.Errorf("parse OUTREACH_EMAIL_FROM %q: %w", c.From, err)
	}
	if c.Conns < 1 {
		return Settings{}, nil, fmt.Errorf("email: Conns is %d; want at least 1", c.Conns)
	}
	if c.Timeout < 0 {
		return Settings{}, nil, fmt.Errorf("email: Timeout is %v; want a positive duration", c.Timeout)
	}
	return settings, from, nil
}
