package email

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// TLSMode says how the connection to the SMTP server is encrypted.
type TLSMode string

// TLS modes, as spelled in the tls= query parameter of OUTREACH_SMTP_URL.
const (
	// TLSNone sends everything in clear text. Only for a relay on the same
	// host or a trusted network.
	TLSNone TLSMode = "none"
	// TLSStartTLS upgrades a plain connection with STARTTLS, and refuses to
	// go on when the server does not offer it (no silent downgrade).
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte ("SMTPS", RFC 8314).
	TLSImplicit TLSMode = "tls"
)

// Default ports per TLS mode: 25 for a plain relay, 587 (submission) for
// STARTTLS, 465 (submissions) for implicit TLS.
const (
	DefaultPortNone     = 25
	DefaultPortStartTLS = 587
	DefaultPortTLS      = 465
)

// defaultPort is the port used when OUTREACH_SMTP_URL names none.
func (m TLSMode) defaultPort() int {
	switch m {
	case TLSNone:
		return DefaultPortNone
	case TLSImplicit:
		return DefaultPortTLS
	}
	return DefaultPortStartTLS
}

// Settings is the parsed form of OUTREACH_SMTP_URL.
type Settings struct {
	Host     string
	Port     int
	Username string // empty: no SMTP AUTH
	Password outreach.Secret
	TLS      TLSMode
}

// String prints the settings as a URL without the password.
func (s Settings) String() string {
	u := url.URL{Scheme: "smtp", Host: s.addr(), RawQuery: "tls=" + string(s.TLS)}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	return u.String()
}

// addr is host:port, bracketing an IPv6 host.
func (s Settings) addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// envURL names the setting in every ParseURL error so that the operator
// knows what to fix.
const envURL = "OUTREACH_SMTP_URL"

// ParseURL parses smtp://user:pass@host:port?tls=none|starttls|tls (or
// smtps://..., which means tls=tls). The tls parameter defaults to starttls
// for smtp:// and the port to the mode's default (25, 587, 465). Errors name
// OUTREACH_SMTP_URL and never contain the URL itself, which holds the password.
func ParseURL(raw string) (Settings, error) {
	if strings.TrimSpace(raw) == "" {
		return Settings{}, fmt.Errorf("%s is empty; want smtp://user:pass@host:port?tls=starttls", envURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes parts of the URL, password included, so
		// it is deliberately not wrapped.
		return Settings{}, fmt.Errorf("%s is not a valid URL (percent-encode special characters in the user and password)", envURL)
	}
	var s Settings
	switch u.Scheme {
	case "smtp":
		s.TLS = TLSStartTLS
	case "smtps":
		s.TLS = TLSImplicit
	default:
		return Settings{}, fmt.Errorf("%s has scheme %q; want smtp or smtps", envURL, u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return Settings{}, fmt.Errorf("%s must be smtp://[user:pass@]host[:port][?tls=...] with no path", envURL)
	}
	if err := parseTLSQuery(u, &s); err != nil {
		return Settings{}, err
	}
	if s.Host = u.Hostname(); s.Host == "" {
		return Settings{}, fmt.Errorf("%s has no host", envURL)
	}
	s.Port = s.TLS.defaultPort()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Settings{}, fmt.Errorf("%s has port %q; want 1-65535", envURL, p)
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		pass, _ := u.User.Password()
		s.Password = outreach.Secret(pass)
		if s.Username == "" && pass != "" {
			return Settings{}, fmt.Errorf("%s has a password but no user", envURL)
		}
	}
	return s, nil
}

// parseTLSQuery reads the tls= parameter into s.TLS and rejects anything
// else in the query: a misspelt option must not be silently ignored. A
// password with an unescaped '?' spills into the query, so query keys and
// values are never quoted back in an error.
func parseTLSQuery(u *url.URL, s *Settings) error {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return errors.New(envURL + " has a malformed query (percent-encode special characters in the password)")
	}
	for k := range q {
		if k != "tls" {
			return errors.New(envURL + " has an unknown query parameter; only tls= is known")
		}
	}
	vals := q["tls"]
	if len(vals) == 0 {
		return nil
	}
	if len(vals) > 1 {
		return errors.New(envURL + " gives tls= more than once")
	}
	mode := TLSMode(strings.ToLower(vals[0]))
	switch mode {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return errors.New(envURL + " has an unknown tls= value; want none, starttls or tls")
	}
	if u.Scheme == "smtps" && mode != TLSImplicit {
		return fmt.Errorf("%s: smtps:// means implicit TLS and conflicts with tls=%s", envURL, mode)
	}
	s.TLS = mode
	return nil
}
