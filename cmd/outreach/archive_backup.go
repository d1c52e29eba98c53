package main

import (
	"context"
	"fmt"
	"os"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/store"
)

// archiveBackupCmd writes a consistent copy of the archive (and the
// resident directory) to FILE while the daemons keep running.
type archiveBackupCmd struct {
	File string `arg:"" name:"FILE" help:"SQLite: a database file; PostgreSQL: a pg_dump custom-format file"`
}

func (c *archiveBackupCmd) run(ctx context.Context, e *env) int {
	cfg, ok := e.loadConfig(config.GroupStore)
	if !ok {
		return 2
	}
	file := c.File
	if err := store.Backup(ctx, cfg.DatabaseURL.Reveal(), file); err != nil {
		return e.fail("archive backup", err)
	}
	size := ""
	if fi, err := os.Stat(file); err == nil {
		size = fmt.Sprintf(" (%s bytes)", thousands(fi.Size()))
	}
	fmt.Fprintf(e.stdout, "backed up the archive to %s%s; restore it with `outreach archive restore %s`\n", file, size, file)
	return 0
}

// archiveRestoreCmd puts a backup back as the database
// OUTREACH_DATABASE_URL names.
type archiveRestoreCmd struct {
	File  string `arg:"" name:"FILE" help:"a file written by archive backup"`
	Force bool   `help:"replace a database that exists (stop the daemons first)"`
}

func (c *archiveRestoreCmd) run(ctx context.Context, e *env) int {
	cfg, ok := e.loadConfig(config.GroupStore)
	if !ok {
		return 2
	}
	if err := store.Restore(ctx, cfg.DatabaseURL.Reveal(), c.File, c.Force); err != nil {
		return e.fail("archive restore", err)
	}
	fmt.Fprintf(e.stdout, "restored the archive from %s\n", c.File)
	return 0
}
