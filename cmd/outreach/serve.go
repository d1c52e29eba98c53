package main

import (
	"context"
	"fmt"

	"github.com/outreach-dev/outreach/outreach/daemon"
)

type serveCmd struct{}

func (serveCmd) run(ctx context.Context, e *env) int {
	cfg, ok := e.loadConfig()
	if !ok {
		return 2
	}
	if err := cfg.RequireServe(); err != nil {
		fmt.Fprintf(e.stderr, "outreach serve: configuration error:\n%v\n", err)
		return 2
	}
	logger := e.logger(cfg)
	gcDefaults(e.getenv)
	hup, stopHup := hangup()
	defer stopHup()
	d, err := daemon.New(ctx, daemon.Options{Config: cfg, Logger: logger, Hangup: hup})
	if err != nil {
		return e.fail("serve", err)
	}
	if err := d.Run(ctx); err != nil {
		return e.fail("serve", err)
	}
	return 0
}
