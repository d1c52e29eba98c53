// Package unsubscribe makes and checks the one-click unsubscribe links of
// bulk email (RFC 8058). A link is
//
//	OUTREACH_PUBLIC_URL/unsubscribe/<token>
//
// where the token names the resident, the channel and the kind of message
// to stop, and is signed with HMAC-SHA256 under OUTREACH_UNSUBSCRIBE_SECRET:
// nobody can unsubscribe someone else by editing a link, and a link keeps
// working for as long as the secret is kept (mails stay in inboxes for
// years). The HTTP endpoint is in package api.
package unsubscribe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// Path is where the daemon serves the links: Path + token.
const Path = "/unsubscribe/"

// EnvSecret is the variable that holds the signing secret.
const EnvSecret = "OUTREACH_UNSUBSCRIBE_SECRET"

// MinSecretLen is the shortest secret accepted: 32 characters (e.g.
// `openssl rand -hex 16`).
const MinSecretLen = 32

// BulkKinds are the kinds sent in bulk, whose email carries an unsubscribe
// link: unsubscribing from one stops that kind only, so that a resident who
// wants no greetings still gets maintenance notices.
var BulkKinds = []outreach.Kind{outreach.KindHolidayGreeting}

// Request is what a link asks: stop messages of Kind on Channel to Resident.
type Request struct {
	ResidentID string           `json:"r"`
	Channel    outreach.Channel `json:"c"`
	Kind       outreach.Kind    `json:"k"`
}

// ErrInvalid is returned by Verify for a token that is malformed, forged
// or signed with another secret.
var ErrInvalid = errors.New("invalid unsubscribe token")

// Signer makes and verifies tokens with one secret.
type Signer struct {
	key  []byte
	base string // public URL without a trailing slash
}

// NewSigner returns a Signer for links under publicURL (an absolute http(s)
// URL). Errors name the variable at fault.
func NewSigner(secret outreach.Secret, publicURL string) (*Signer, error) {
	if len(secret.Reveal()) < MinSecretLen {
		return nil, fmt.Errorf("%s must be at least %d characters (e.g. openssl rand -hex 16)", EnvSecret, MinSecretLen)
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("OUTREACH_PUBLIC_URL must be an absolute http(s) URL")
	}
	return &Signer{key: []byte(secret.Reveal()), base: strings.TrimSuffix(publicURL, "/")}, nil
}

// Link is the unsubscribe URL for a message of kind k on channel ch to a
// resident, or "" when such a message carries none: only email of a bulk
// kind does.
func (s *Signer) Link(residentID string, ch outreach.Channel, k outreach.Kind) string {
	if s == nil || ch != outreach.ChannelEmail || !slices.Contains(BulkKinds, k) || residentID == "" {
		return ""
	}
	return s.base + Path + s.Token(Request{ResidentID: residentID, Channel: ch, Kind: k})
}

// Token signs r: base64url(JSON of r) "." base64url(HMAC-SHA256).
func (s *Signer) Token(r Request) string {
	payload, _ := json.Marshal(r) // strings only: cannot fail
	enc := base64.RawURLEncoding.EncodeToString(payload)
	return enc + "." + base64.RawURLEncoding.EncodeToString(s.mac(enc))
}

// Verify checks a token and returns its request. Its errors wrap
// ErrInvalid.
func (s *Signer) Verify(token string) (Request, error) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1024 {
		return Request{}, fmt.Errorf("%w: malformed", ErrInvalid)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(enc)) {
		return Request{}, fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	payload, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Request{}, fmt.Errorf("%w: malformed payload", ErrInvalid)
	}
	var r Request
	if err := json.Unmarshal(payload, &r); err != nil || r.ResidentID == "" || !r.Channel.Valid() || !r.Kind.Valid() {
		return Request{}, fmt.Errorf("%w: malformed payload", ErrInvalid)
	}
	return r, nil
}

// mac is the signature of an encoded payload, bound to its purpose so
// that the secret signs nothing else by accident.
func (s *Signer) mac(enc string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("outreach unsubscribe v1\x00"))
	m.Write([]byte(enc))
	return m.Sum(nil)
}
