package outreach

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Scope is what an API token may do (see docs/api.md, "API tokens").
type Scope string

// The scopes of API tokens.
const (
	// ScopeEnqueue: POST /v1/jobs, for services that send notices.
	ScopeEnqueue Scope = "enqueue"
	// ScopeManage: residents, campaigns and template previews, for
	// property managers and the systems that keep profiles in sync.
	ScopeManage Scope = "manage"
	// ScopeRead: the archive (deliveries, replies) and reading residents
	// and campaigns, for reviewers and dashboards.
	ScopeRead Scope = "read"
)

// Scopes lists every scope, in a stable order.
var Scopes = []Scope{ScopeEnqueue, ScopeManage, ScopeRead}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(Scopes, s) }

// ParseScopes reads a comma-separated list such as "enqueue,read" into a
// sorted set of scopes; it must name at least one, all known.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for part := range strings.SplitSeq(s, ",") {
		sc := Scope(strings.TrimSpace(part))
		if sc == "" {
			continue
		}
		if !sc.Valid() {
			return nil, fmt.Errorf("unknown scope %q (want enqueue, manage or read)", sc)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no scope given (want enqueue, manage or read)")
	}
	slices.Sort(out)
	return out, nil
}

// TokenPrefix starts every API token, so that a token that leaks into a
// repository or a log is recognizable (and secret scanners can match it).
const TokenPrefix = "otk_"

// Token is an API token as stored: never the secret itself, only its hash.
type Token struct {
	// ID is a short public id ("tok_" and 12 hex digits) for listings and
	// revocation.
	ID string `json:"id"`
	// Name says whose token it is ("billing", "work-orders"); unique among
	// all tokens, revoked ones included.
	Name   string  `json:"name"`
	Scopes []Scope `json:"scopes"`
	// Estates limits the token to the residents, campaigns and archive
	// records of these estates (sorted ids); empty: every estate. To a
	// limited token everything of another estate is not found (404).
	Estates []string `json:"estates,omitempty"`
	// Hash is the hex SHA-256 of the secret (see HashToken). A token has
	// 256 random bits, so a fast hash is enough: no dictionary to guess from.
	Hash       string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Has reports whether the token carries scope s.
func (t Token) Has(s Scope) bool { return slices.Contains(t.Scopes, s) }

// Active reports whether the token may be used: not revoked.
func (t Token) Active() bool { return t.RevokedAt == nil }

// NewToken makes a token named name with scopes: its public id, the
// secret to give to the client once (TokenPrefix and 43 base64url
// characters: 256 random bits), and the Token to store (with the hash of
// the secret, CreatedAt unset: the store sets it).
func NewToken(name string, scopes []Scope) (secret string, t Token, err error) {
	if err := CheckTokenName(name); err != nil {
		return "", Token{}, err
	}
	if len(scopes) == 0 {
		return "", Token{}, errors.New("a token needs at least one scope")
	}
	var raw [32]byte
	var id [6]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, fmt.Errorf("new token: %w", err)
	}
	if _, err := rand.Read(id[:]); err != nil {
		return "", Token{}, fmt.Errorf("new token: %w", err)
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	return secret, Token{ID: "tok_" + hex.EncodeToString(id[:]), Name: name, Scopes: slices.Clone(scopes), Hash: HashToken(secret)}, nil
}

// HashToken is the hash under which a token's secret is stored and looked
// up: hex SHA-256.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckTokenName accepts names of 1-64 letters, digits, '.', '_' and '-'
// starting with a letter or digit, and not shaped like a token id ("tok_"),
// so that `tokens revoke NAME|ID` is never ambiguous.
func CheckTokenName(name string) error {
	if !tokenName.MatchString(name) || strings.HasPrefix(name, "tok_") {
		return fmt.Errorf("token name %q: want 1-64 letters, digits, '.', '_' or '-', not starting with \"tok_\"", name)
	}
	return nil
}

// TokenStore keeps API tokens (hashes only). SQLite and PostgreSQL
// implement it with the same behaviour (see store/storetest).
type TokenStore interface {
	// CreateToken stores a new token; CreatedAt is set to the time of the
	// call when zero. An id, name or hash in use wraps ErrExists.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose Hash is hash, revoked or not
	// (the caller checks Active); none wraps ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// Tokens lists every token, revoked ones included, oldest first
	// (CreatedAt, then ID).
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken revokes the token whose ID or Name is idOrName and
	// returns it. Revoking a revoked token keeps its first RevokedAt. An
	// unknown one wraps ErrNotFound.
	RevokeToken(ctx context.Context, idOrName string) (Token, error)
	// TouchToken sets the token's LastUsedAt to at (the API calls it at
	// most once a minute per token). An unknown id wraps ErrNotFound.
	TouchToken(ctx context.Context, id string, at time.Time) error
}
