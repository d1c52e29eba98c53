package daemon

import (
	"context"
	"log/slog"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/api"
	"github.com/outreach-dev/outreach/outreach/config"
)

// apiAuth is the authentication of the /v1/ API: bearer tokens from the
// archive database unless OUTREACH_API_AUTH=off. Either way the start is
// logged with what it means, so that an operator sees an API that is open,
// or one that answers 401 to everyone because no token exists yet.
func apiAuth(ctx context.Context, cfg config.Config, st outreach.Store, logger *slog.Logger) api.Authenticator {
	if !cfg.APIAuth {
		logger.Warn("API authentication is off (OUTREACH_API_AUTH=off): anyone who reaches OUTREACH_HTTP_ADDR can use /v1/")
		return nil
	}
	tokens, err := st.Tokens(ctx)
	if err != nil {
		logger.Warn("list API tokens", "err", err)
	}
	active := 0
	for _, t := range tokens {
		if t.Active() {
			active++
		}
	}
	if err == nil && active == 0 {
		logger.Warn("no API token exists: every /v1/ request will get 401; create one with `outreach tokens create --name NAME --scopes enqueue,manage,read`")
	}
	return &api.TokenAuth{Store: st, Logger: logger.With("component", "http")}
}
