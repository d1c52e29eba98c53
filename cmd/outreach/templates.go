package main

import (
	"context"
	"fmt"

	"github.com/outreach-dev/outreach/templates"
)

func cmdTemplates(_ context.Context, e *env, args []string) int {
	if len(args) != 1 || args[0] != "list" {
		fmt.Fprintln(e.stderr, "usage: outreach templates list")
		return 2
	}
	set, err := templates.Builtin()
	if err != nil {
		return e.fail("templates", err)
	}
	for _, n := range set.Names() {
		fmt.Fprintln(e.stdout, n)
	}
	return 0
}
