package storetest

import (
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func newToken(t *testing.T, name string, scopes ...outreach.Scope) (string, outreach.Token) {
	t.Helper()
	secret, tok, err := outreach.NewToken(name, scopes)
	if err != nil {
		t.Fatalf("NewToken: %v", err)
	}
	return secret, tok
}

func mustCreateToken(t *testing.T, s outreach.Store, tok outreach.Token) {
	t.Helper()
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateToken(%s): %v", tok.Name, err)
	}
}

// testTokenRoundTrip: a token is found by the hash of its secret, with its
// scopes as a sorted set, times in UTC, and never by anything else.
func testTokenRoundTrip(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	secret, tok := newToken(t, "billing", outreach.ScopeRead, outreach.ScopeEnqueue, outreach.ScopeRead)
	tok.CreatedAt = base.In(shanghai)
	mustCreateToken(t, s, tok)

	got, err := s.TokenByHash(t.Context(), outreach.HashToken(secret))
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	want := tok
	want.Scopes = []outreach.Scope{outreach.ScopeEnqueue, outreach.ScopeRead}
	want.CreatedAt = stored(base)
	if d := timeDiff("CreatedAt", got.CreatedAt, want.CreatedAt); d != "" {
		t.Error(d)
	}
	got.CreatedAt = want.CreatedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TokenByHash = %+v, want %+v", got, want)
	}
	if !got.Active() || got.LastUsedAt != nil {
		t.Errorf("a new token: Active %v, LastUsedAt %v; want active, never used", got.Active(), got.LastUsedAt)
	}
	for _, h := range []string{outreach.HashToken(secret + "x"), secret, tok.ID, ""} {
		if _, err := s.TokenByHash(t.Context(), h); !errors.Is(err, outreach.ErrNotFound) {
			t.Errorf("TokenByHash(%q): error = %v, want ErrNotFound", h, err)
		}
	}
}

// testTokenErrors: names, ids and secrets are unique; bad tokens are
// refused; unknown ones are not found.
func testTokenErrors(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	_, tok := newToken(t, "svc", outreach.ScopeEnqueue)
	mustCreateToken(t, s, tok)

	_, sameName := newToken(t, "svc", outreach.ScopeRead)
	sameID := tok
	sameID.Name, sameID.Hash = "other", "ff"
	sameHash := tok
	sameHash.ID, sameHash.Name = "tok_000000000000", "third"
	for name, dup := range map[string]outreach.Token{"name": sameName, "id": sameID, "hash": sameHash} {
		if err := s.CreateToken(t.Context(), dup); !errors.Is(err, outreach.ErrExists) {
			t.Errorf("CreateToken with its %s in use: error = %v, want ErrExists", name, err)
		}
	}
	bad := map[string]outreach.Token{
		"no scope":      {ID: "tok_1", Name: "a", Hash: "aa"},
		"unknown scope": {ID: "tok_2", Name: "b", Hash: "bb", Scopes: []outreach.Scope{"admin"}},
		"bad name":      {ID: "tok_3", Name: "has space", Hash: "cc", Scopes: []outreach.Scope{outreach.ScopeRead}},
		"no hash":       {ID: "tok_4", Name: "d", Scopes: []outreach.Scope{outreach.ScopeRead}},
		"no id":         {Name: "e", Hash: "ee", Scopes: []outreach.Scope{outreach.ScopeRead}},
	}
	for name, b := range bad {
		if err := s.CreateToken(t.Context(), b); err == nil || errors.Is(err, outreach.ErrExists) {
			t.Errorf("CreateToken(%s): error = %v, want a validation error", name, err)
		}
	}
	if _, err := s.RevokeToken(t.Context(), "nope"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("RevokeToken(unknown): error = %v, want ErrNotFound", err)
	}
	if err := s.TouchToken(t.Context(), "tok_nope", base); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("TouchToken(unknown): error = %v, want ErrNotFound", err)
	}
	list, err := s.Tokens(t.Context())
	if err != nil || len(list) != 1 {
		t.Errorf("Tokens = %d tokens, %v; want only the first", len(list), err)
	}
}

// testTokenRevokeAndTouch: revoking by name or id, once for good;
// last-used times; the listing keeps revoked tokens, oldest first.
func testTokenRevokeAndTouch(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	secretA, a := newToken(t, "a-svc", outreach.ScopeEnqueue)
	a.CreatedAt = base
	_, b := newToken(t, "b-svc", outreach.ScopeManage)
	b.CreatedAt = base.Add(time.Minute)
	mustCreateToken(t, s, b)
	mustCreateToken(t, s, a)

	used := base.Add(time.Hour).In(shanghai)
	if err := s.TouchToken(t.Context(), a.ID, used); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	got, err := s.RevokeToken(t.Context(), "a-svc")
	if err != nil {
		t.Fatalf("RevokeToken(name): %v", err)
	}
	if got.ID != a.ID || got.Active() || got.LastUsedAt == nil {
		t.Fatalf("RevokeToken = %+v, want %s revoked with its last use", got, a.ID)
	}
	if d := timeDiff("LastUsedAt", *got.LastUsedAt, stored(used)); d != "" {
		t.Error(d)
	}
	first := *got.RevokedAt
	again, err := s.RevokeToken(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("RevokeToken(id) again: %v", err)
	}
	if !again.RevokedAt.Equal(first) {
		t.Errorf("revoking again moved RevokedAt from %v to %v", first, again.RevokedAt)
	}
	byHash, err := s.TokenByHash(t.Context(), outreach.HashToken(secretA))
	if err != nil || byHash.Active() {
		t.Errorf("TokenByHash of a revoked token = %+v, %v; want it, revoked", byHash, err)
	}
	list, err := s.Tokens(t.Context())
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	var names []string
	for _, tok := range list {
		names = append(names, tok.Name)
	}
	if !reflect.DeepEqual(names, []string{"a-svc", "b-svc"}) {
		t.Errorf("Tokens = %v, want [a-svc b-svc] (oldest first, revoked included)", names)
	}
}

// testTokenConcurrentTouch: the API touches tokens from many requests.
func testTokenConcurrentTouch(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	_, tok := newToken(t, "busy", outreach.ScopeRead)
	mustCreateToken(t, s, tok)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			if err := s.TouchToken(t.Context(), tok.ID, base.Add(time.Duration(i)*time.Second)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("TouchToken: %v", err)
	}
}
