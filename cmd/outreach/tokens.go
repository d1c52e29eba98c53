package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// tokensCmd manages the API's bearer tokens in the archive database:
// create (the secret is printed once, only its hash is kept), list, revoke.
type tokensCmd struct {
	Create tokensCreateCmd `cmd:"" help:"create a token and print it, once"`
	List   tokensListCmd   `cmd:"" help:"list the tokens (never their secrets)"`
	Revoke tokensRevokeCmd `cmd:"" help:"revoke a token: requests with it get 401"`
}

type tokensCreateCmd struct {
	Name    string `placeholder:"N" help:"who the token is for, e.g. work-orders (unique)"`
	Scopes  string `placeholder:"enqueue,manage,read" help:"comma-separated: enqueue (POST /v1/jobs), manage (residents, campaigns, previews), read (archive; reading residents and campaigns)"`
	Estates string `placeholder:"A,B" help:"comma-separated estate ids: the token reaches only their residents, campaigns, archive and estates (others are 404); empty: every estate"`
	JSON    bool   `name:"json" help:"print the token and its details as one JSON object"`
}

func (c *tokensCreateCmd) run(ctx context.Context, e *env) int {
	scopes, err := outreach.ParseScopes(c.Scopes)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach tokens create: --scopes: %v\n", err)
		return 2
	}
	estates, err := outreach.ParseEstateIDs(c.Estates)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach tokens create: --estates: %v\n", err)
		return 2
	}
	secret, tok, err := outreach.NewToken(c.Name, scopes)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach tokens create: --name: %v\n", err)
		return 2
	}
	st, _, status := e.openStore(ctx, "tokens create")
	if st == nil {
		return status
	}
	defer st.Close()
	for _, id := range estates {
		if _, err := st.Estate(ctx, id); errors.Is(err, outreach.ErrNotFound) {
			fmt.Fprintf(e.stderr, "outreach tokens create: --estates: unknown estate %q (see `outreach estates list`)\n", id)
			return 2
		} else if err != nil {
			return e.fail("tokens create", err)
		}
	}
	tok.Estates = estates
	if err := st.CreateToken(ctx, tok); err != nil {
		if errors.Is(err, outreach.ErrExists) {
			return e.fail("tokens create", fmt.Errorf("a token named %q exists already (names stay taken after revocation)", tok.Name))
		}
		return e.fail("tokens create", err)
	}
	if c.JSON {
		return e.printJSON("tokens create", struct {
			Secret string `json:"token"`
			outreach.Token
		}{secret, tok})
	}
	fmt.Fprintln(e.stdout, secret)
	fmt.Fprintf(e.stderr, "created token %s (%s) with scopes %s for %s; it is shown only now: keep it in the service's secret store\n",
		tok.ID, tok.Name, joinScopes(tok.Scopes), describeEstates(tok.Estates))
	return 0
}

type tokensListCmd struct{ listFlags }

func (c *tokensListCmd) run(ctx context.Context, e *env) int {
	return listCommand(ctx, e, "tokens list", c.JSON, outreach.Store.Tokens,
		[]string{"ID", "NAME", "SCOPES", "ESTATES", "CREATED", "LAST USED", "REVOKED"},
		func(t outreach.Token) []string {
			return []string{t.ID, t.Name, joinScopes(t.Scopes), estatesCell(t.Estates),
				localTime(&t.CreatedAt), localTime(t.LastUsedAt), localTime(t.RevokedAt)}
		})
}

type tokensRevokeCmd struct {
	Token string `arg:"" name:"NAME|ID" help:"the token's name or id"`
}

func (c *tokensRevokeCmd) run(ctx context.Context, e *env) int {
	args := []string{c.Token}
	st, _, status := e.openStore(ctx, "tokens revoke")
	if st == nil {
		return status
	}
	defer st.Close()
	t, err := st.RevokeToken(ctx, args[0])
	if errors.Is(err, outreach.ErrNotFound) {
		return e.fail("tokens revoke", fmt.Errorf("no token named or with id %q (see `outreach tokens list`)", args[0]))
	}
	if err != nil {
		return e.fail("tokens revoke", err)
	}
	fmt.Fprintf(e.stdout, "revoked %s (%s) at %s; requests with it now get 401\n", t.ID, t.Name, localTime(t.RevokedAt))
	return 0
}

func (e *env) printJSON(cmd string, v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return e.fail(cmd, err)
	}
	return 0
}

// describeEstates says which estates a token reaches.
func describeEstates(estates []string) string {
	if len(estates) == 0 {
		return "every estate"
	}
	return "estates " + strings.Join(estates, ",")
}

func joinScopes(scopes []outreach.Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, ",")
}

func localTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
