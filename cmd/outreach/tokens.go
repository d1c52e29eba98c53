package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// cmdTokens manages the API's bearer tokens in the archive database:
// create (the secret is printed once, only its hash is kept), list, revoke.
func cmdTokens(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "usage: outreach tokens create --name NAME --scopes enqueue,manage,read [--estates A,B] [--json]")
		fmt.Fprintln(e.stderr, "       outreach tokens list [--json]")
		fmt.Fprintln(e.stderr, "       outreach tokens revoke NAME|ID")
		return 2
	}
	switch args[0] {
	case "create":
		return tokensCreate(ctx, e, args[1:])
	case "list":
		return tokensList(ctx, e, args[1:])
	case "revoke":
		return tokensRevoke(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "outreach tokens: unknown subcommand %q (want create, list or revoke)\n", args[0])
	return 2
}

func tokensCreate(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
	name := fs.String("name", "", "who the token is for, e.g. work-orders (unique)")
	scopeList := fs.String("scopes", "", "comma-separated: enqueue (POST /v1/jobs), manage (residents, campaigns, previews), read (archive; reading residents and campaigns)")
	estateList := fs.String("estates", "", "comma-separated estate ids: the token reaches only their residents, campaigns, archive and estates (others are 404); empty: every estate")
	asJSON := fs.Bool("json", false, "print the token and its details as one JSON object")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	scopes, err := outreach.ParseScopes(*scopeList)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach tokens create: --scopes: %v\n", err)
		return 2
	}
	estates, err := outreach.ParseEstateIDs(*estateList)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach tokens create: --estates: %v\n", err)
		return 2
	}
	secret, tok, err := outreach.NewToken(*name, scopes)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach tokens create: --name: %v\n", err)
		return 2
	}
	st, status := e.openStore(ctx)
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
	if *asJSON {
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

func tokensList(ctx context.Context, e *env, args []string) int {
	return listCommand(ctx, e, "tokens list", args, outreach.Store.Tokens,
		[]string{"ID", "NAME", "SCOPES", "ESTATES", "CREATED", "LAST USED", "REVOKED"},
		func(t outreach.Token) []string {
			return []string{t.ID, t.Name, joinScopes(t.Scopes), estatesCell(t.Estates),
				localTime(&t.CreatedAt), localTime(t.LastUsedAt), localTime(t.RevokedAt)}
		})
}

func tokensRevoke(ctx context.Context, e *env, args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(e.stderr, "usage: outreach tokens revoke NAME|ID")
		return 2
	}
	st, status := e.openStore(ctx)
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
