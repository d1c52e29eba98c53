package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/outreach-dev/outreach/outreach/archive"
)

// archiveExportCmd streams the deliveries matching the filters to a file
// or stdout, as CSV (for spreadsheet programs) or JSON lines.
type archiveExportCmd struct {
	filterFlags
	Format string `default:"csv" placeholder:"csv|jsonl" help:"csv or jsonl"`
	BOM    bool   `name:"bom" help:"start the CSV with a UTF-8 byte order mark, so that Excel shows Chinese text correctly"`
	Output string `name:"output" short:"o" placeholder:"FILE" help:"write to this file instead of stdout"`
}

func (c *archiveExportCmd) run(ctx context.Context, e *env) int {
	f, err := c.filter()
	if err != nil {
		return e.fail("archive export", err)
	}
	opt := archive.Options{BOM: c.BOM}
	if opt.Format, err = archive.ParseFormat(c.Format); err != nil {
		return e.fail("archive export", fmt.Errorf("--format: %w", err))
	}
	st, _, status := e.openStore(ctx, "archive export")
	if st == nil {
		return status
	}
	defer st.Close()

	var w io.Writer = e.stdout
	var file *os.File
	if c.Output != "" {
		if file, err = os.Create(c.Output); err != nil {
			return e.fail("archive export", err)
		}
		w = file
	}
	n, err := archive.Export(ctx, w, st, f, opt)
	if file != nil {
		err = errors.Join(err, file.Close())
		if err != nil {
			_ = os.Remove(c.Output) // no half export left behind to be mistaken for a whole one
		}
	}
	if err != nil {
		return e.fail("archive export", err)
	}
	fmt.Fprintf(e.stderr, "exported %d deliveries\n", n)
	return 0
}
