package api

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Authenticator finds the token a request's bearer secret stands for.
type Authenticator interface {
	// Authenticate returns the active token whose secret is secret. A
	// secret that is unknown, malformed or revoked wraps ErrInvalidToken;
	// any other error is the store's (the request gets a 500).
	Authenticate(ctx context.Context, secret string) (outreach.Token, error)
}

// ErrInvalidToken is returned (wrapped) by an Authenticator for a secret
// that does not grant access.
var ErrInvalidToken = errors.New("invalid token")

// TokenAuth authenticates bearer tokens against a TokenStore: the secret's
// SHA-256 is looked up (a lookup by a hash leaks nothing usable about
// other secrets through its timing), compared again in constant time,
// and the token must not be revoked. It records when each token was last
// used, at most once a minute per token. Revocation takes effect on the
// next request: nothing is cached.
type TokenAuth struct {
	Store  outreach.TokenStore
	Logger *slog.Logger
	// Now is the clock for last-used times (default time.Now).
	Now func() time.Time

	touched sync.Map // token id -> time.Time of the last TouchToken
}

// touchEvery is how often TouchToken is called per token at most.
const touchEvery = time.Minute

// Authenticate implements Authenticator.
func (a *TokenAuth) Authenticate(ctx context.Context, secret string) (outreach.Token, error) {
	if !strings.HasPrefix(secret, outreach.TokenPrefix) || len(secret) > 200 {
		return outreach.Token{}, fmt.Errorf("%w: not an outreach token (they start with %q)", ErrInvalidToken, outreach.TokenPrefix)
	}
	hash := outreach.HashToken(secret)
	t, err := a.Store.TokenByHash(ctx, hash)
	if errors.Is(err, outreach.ErrNotFound) {
		return outreach.Token{}, fmt.Errorf("%w: unknown token", ErrInvalidToken)
	}
	if err != nil {
		return outreach.Token{}, fmt.Errorf("authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 {
		return outreach.Token{}, fmt.Errorf("%w: unknown token", ErrInvalidToken)
	}
	if !t.Active() {
		return outreach.Token{}, fmt.Errorf("%w: token %s was revoked", ErrInvalidToken, t.ID)
	}
	a.touch(ctx, t)
	return t, nil
}

// touch records the use of t unless it was recorded within touchEvery. A
// failure is logged: it must not fail the request.
func (a *TokenAuth) touch(ctx context.Context, t outreach.Token) {
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < touchEvery {
		return
	}
	if last, ok := a.touched.Load(t.ID); ok && now.Sub(last.(time.Time)) < touchEvery {
		return
	}
	a.touched.Store(t.ID, now)
	if err := a.Store.TouchToken(context.WithoutCancel(ctx), t.ID, now); err != nil && a.Logger != nil {
		a.Logger.Warn("record token use", "token_id", t.ID, "err", err)
	}
}

type tokenKey struct{}

// TokenFrom returns the token that authenticated the request, if any
// (none when authentication is off).
func TokenFrom(ctx context.Context) (outreach.Token, bool) {
	t, ok := ctx.Value(tokenKey{}).(outreach.Token)
	return t, ok
}

// realm is the WWW-Authenticate realm of the API.
const realm = `Bearer realm="outreach"`

// authenticate answers 401 to a request without a valid bearer token and
// passes the others on with their token in the context (TokenFrom). The
// secret never reaches a log.
func authenticate(a Authenticator, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			refused(logger, r, "missing_token", "")
			w.Header().Set("WWW-Authenticate", realm)
			writeError(w, errorf(http.StatusUnauthorized, "", "missing bearer token: send the header `Authorization: Bearer TOKEN` (create one with `outreach tokens create`)"))
			return
		}
		t, err := a.Authenticate(r.Context(), secret)
		if errors.Is(err, ErrInvalidToken) {
			refused(logger, r, "invalid_token", "")
			w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token"`)
			writeError(w, errorf(http.StatusUnauthorized, "", "invalid, unknown or revoked token"))
			return
		}
		if err != nil {
			logger.Error("authenticate API request", "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, errorf(http.StatusInternalServerError, "", "internal error; see the daemon's log"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
	})
}

// refused writes the audit line of a request the API turned away for its
// token: the route, the method, the client's address, why, and the
// token's name when it is known, never the secret.
func refused(logger *slog.Logger, r *http.Request, reason, token string) {
	attrs := []any{"audit", "token_refused", "reason", reason, "method", r.Method, "route", cmp.Or(r.Pattern, r.URL.Path), "remote", r.RemoteAddr}
	if token != "" {
		attrs = append(attrs, "token", token)
	}
	logger.WarnContext(r.Context(), "API request refused", attrs...)
}

// bearer reads "Bearer <secret>" (the scheme in any case, RFC 7235).
func bearer(header string) (string, bool) {
	scheme, secret, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	return secret, secret != ""
}

// requireScope answers 403 when the request's token carries none of
// scopes. Without a token in the context (authentication off) it lets
// every request through.
func requireScope(scopes []outreach.Scope, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, ok := TokenFrom(r.Context())
		if ok && !hasAny(t, scopes) {
			names := scopeNames(scopes)
			refused(logger, r, "insufficient_scope", t.Name)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`%s, error="insufficient_scope", scope=%q`, realm, strings.Join(names, " ")))
			writeError(w, errorf(http.StatusForbidden, "", "token %q lacks the scope this route needs: %s", t.Name, strings.Join(names, " or ")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hasAny(t outreach.Token, scopes []outreach.Scope) bool {
	for _, s := range scopes {
		if t.Has(s) {
			return true
		}
	}
	return false
}

func scopeNames(scopes []outreach.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}
