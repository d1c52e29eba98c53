package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/store"
)

// cmdArchiveBackup writes a consistent copy of the archive (and the
// resident directory) to FILE while the daemons keep running.
func cmdArchiveBackup(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("archive backup", flag.ContinueOnError)
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "usage: outreach archive backup FILE  (SQLite: a database file; PostgreSQL: a pg_dump custom-format file)")
		return 2
	}
	cfg, ok := e.loadConfig(config.GroupStore)
	if !ok {
		return 2
	}
	if err := store.Backup(ctx, cfg.DatabaseURL.Reveal(), pos[0]); err != nil {
		return e.fail("archive backup", err)
	}
	size := ""
	if fi, err := os.Stat(pos[0]); err == nil {
		size = fmt.Sprintf(" (%s bytes)", thousands(fi.Size()))
	}
	fmt.Fprintf(e.stdout, "backed up the archive to %s%s; restore it with `outreach archive restore %s`\n", pos[0], size, pos[0])
	return 0
}

// cmdArchiveRestore puts a backup back as the database
// OUTREACH_DATABASE_URL names.
func cmdArchiveRestore(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("archive restore", flag.ContinueOnError)
	force := fs.Bool("force", false, "replace a database that exists (stop the daemons first)")
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "usage: outreach archive restore FILE [--force]")
		return 2
	}
	cfg, ok := e.loadConfig(config.GroupStore)
	if !ok {
		return 2
	}
	if err := store.Restore(ctx, cfg.DatabaseURL.Reveal(), pos[0], *force); err != nil {
		return e.fail("archive restore", err)
	}
	fmt.Fprintf(e.stdout, "restored the archive from %s\n", pos[0])
	return 0
}
