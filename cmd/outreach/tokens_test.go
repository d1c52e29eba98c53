package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
)

func runTokens(t *testing.T, environ map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return environ[k] }}
	status := runArgs(context.Background(), e, append([]string{"tokens"}, args...), false)
	return status, stdout.String(), stderr.String()
}

func TestTokensCommand(t *testing.T) {
	t.Parallel()
	url := "sqlite://" + filepath.Join(t.TempDir(), "outreach.db")
	environ := map[string]string{"OUTREACH_DATABASE_URL": url}

	status, stdout, stderr := runTokens(t, environ, "create", "--name", "work-orders", "--scopes", "read,enqueue")
	secret := strings.TrimSpace(stdout)
	if status != 0 || !strings.HasPrefix(secret, outreach.TokenPrefix) || strings.Contains(stderr, secret) {
		t.Fatalf("create = %d, stdout %q, stderr %q; want the token alone on stdout", status, stdout, stderr)
	}
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, err := st.TokenByHash(t.Context(), outreach.HashToken(secret))
	if err != nil || tok.Name != "work-orders" || !tok.Has(outreach.ScopeEnqueue) || !tok.Has(outreach.ScopeRead) || tok.Has(outreach.ScopeManage) {
		t.Fatalf("stored token %+v, %v; want work-orders with enqueue and read", tok, err)
	}
	if tok.Hash == secret || strings.Contains(tok.Hash, strings.TrimPrefix(secret, outreach.TokenPrefix)) {
		t.Error("the store keeps the secret, not a hash")
	}

	// Usage errors: exit 2, nothing stored.
	for _, args := range [][]string{
		{"create", "--name", "x"},
		{"create", "--name", "x", "--scopes", "admin"},
		{"create", "--name", "has space", "--scopes", "read"},
		{"create", "--scopes", "read"},
		{"revoke"},
		{"rotate"},
	} {
		if status, _, _ := runTokens(t, environ, args...); status != 2 {
			t.Errorf("tokens %v = %d, want 2", args, status)
		}
	}
	if status, _, stderr := runTokens(t, environ, "create", "--name", "work-orders", "--scopes", "read"); status != 1 || !strings.Contains(stderr, "exists") {
		t.Errorf("create with a name in use = %d %q, want 1 saying it exists", status, stderr)
	}

	status, stdout, _ = runTokens(t, environ, "list")
	if status != 0 || !strings.Contains(stdout, "work-orders") || !strings.Contains(stdout, "enqueue,read") || strings.Contains(stdout, secret) {
		t.Errorf("list = %d %q, want the token's name and scopes, never the secret", status, stdout)
	}
	if status, _, stderr := runTokens(t, environ, "revoke", "nobody"); status != 1 || !strings.Contains(stderr, "nobody") {
		t.Errorf("revoke unknown = %d %q, want 1", status, stderr)
	}
	if status, stdout, _ := runTokens(t, environ, "revoke", tok.ID); status != 0 || !strings.Contains(stdout, "revoked "+tok.ID) {
		t.Errorf("revoke by id = %d %q", status, stdout)
	}
	status, stdout, _ = runTokens(t, environ, "list", "--json")
	var listed outreach.Token
	if err := json.Unmarshal([]byte(stdout), &listed); status != 0 || err != nil || listed.RevokedAt == nil || listed.Name != "work-orders" {
		t.Errorf("list --json = %d %q, want the revoked token", status, stdout)
	}
	if strings.Contains(stdout, tok.Hash) {
		t.Error("list --json shows the hash")
	}
}

// TestTokensLimitedToEstates: --estates stores the estates (which must
// exist) and list shows them; a token without --estates reaches every
// estate ("*").
func TestTokensLimitedToEstates(t *testing.T) {
	t.Parallel()
	url := "sqlite://" + filepath.Join(t.TempDir(), "outreach.db")
	environ := map[string]string{"OUTREACH_DATABASE_URL": url}
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range []string{"east", "west"} {
		if err := st.CreateEstate(t.Context(), outreach.Estate{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	status, stdout, stderr := runTokens(t, environ, "create", "--name", "east-office", "--scopes", "manage,read", "--estates", "west, east,east")
	if status != 0 || !strings.Contains(stderr, "estates east,west") {
		t.Fatalf("create --estates = %d %q %q", status, stdout, stderr)
	}
	tok, err := st.TokenByHash(t.Context(), outreach.HashToken(strings.TrimSpace(stdout)))
	if err != nil || strings.Join(tok.Estates, ",") != "east,west" {
		t.Fatalf("stored %+v, %v; want estates east,west", tok, err)
	}
	for _, bad := range []string{"north", "East Side"} {
		if status, _, stderr := runTokens(t, environ, "create", "--name", "n-"+strings.ReplaceAll(bad, " ", ""), "--scopes", "read", "--estates", bad); status != 2 || !strings.Contains(stderr, "--estates") {
			t.Errorf("--estates %q = %d %q, want 2 naming --estates", bad, status, stderr)
		}
	}
	if status, _, _ := runTokens(t, environ, "create", "--name", "hq", "--scopes", "read"); status != 0 {
		t.Fatal("create hq failed")
	}
	status, stdout, _ = runTokens(t, environ, "list")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if status != 0 || len(lines) != 3 || !strings.Contains(lines[0], "ESTATES") || !strings.Contains(lines[1], "east,west") || !strings.Contains(lines[2], " * ") {
		t.Errorf("list = %d\n%s\nwant east,west for east-office and * for hq", status, stdout)
	}
	if _, stdout, _ := runTokens(t, environ, "list", "--json"); !strings.Contains(stdout, `"estates":["east","west"]`) {
		t.Errorf("list --json = %s, want the estates", stdout)
	}
}
