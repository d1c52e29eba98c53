package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/outreach-dev/outreach/outreach/archive"
)

// cmdArchiveExport streams the deliveries matching the filters to a file
// or stdout, as CSV (for spreadsheet programs) or JSON lines.
func cmdArchiveExport(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("archive export", flag.ContinueOnError)
	var ff filterFlags
	ff.register(fs)
	format := fs.String("format", "csv", "csv or jsonl")
	bom := fs.Bool("bom", false, "start the CSV with a UTF-8 byte order mark, so that Excel shows Chinese text correctly")
	output := fs.String("o", "", "write to this file instead of stdout")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	f, err := ff.filter()
	if err != nil {
		return e.fail("archive export", err)
	}
	opt := archive.Options{BOM: *bom}
	if opt.Format, err = archive.ParseFormat(*format); err != nil {
		return e.fail("archive export", fmt.Errorf("--format: %w", err))
	}
	st, _, status := e.openStore(ctx, "archive export")
	if st == nil {
		return status
	}
	defer st.Close()

	var w io.Writer = e.stdout
	var file *os.File
	if *output != "" {
		if file, err = os.Create(*output); err != nil {
			return e.fail("archive export", err)
		}
		w = file
	}
	n, err := archive.Export(ctx, w, st, f, opt)
	if file != nil {
		err = errors.Join(err, file.Close())
		if err != nil {
			_ = os.Remove(*output) // no half export left behind to be mistaken for a whole one
		}
	}
	if err != nil {
		return e.fail("archive export", err)
	}
	fmt.Fprintf(e.stderr, "exported %d deliveries\n", n)
	return 0
}
