package main

import (
	"context"
	"fmt"
)

func cmdResidents(ctx context.Context, e *env, args []string) int {
	if status, handled := residentsProfile(ctx, e, args); handled { // list, show, set: residents_profile.go
		return status
	}
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(e.stderr, importUsage)
		return 2
	}
	return cmdResidentsImport(ctx, e, args[1:])
}
