package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/resident"
)

// cmdResidentsImport is `outreach residents import FILE`: read a CSV or
// XLSX file of residents, report its bad rows, upsert the good ones by id.
// The exit status is importAllGood, importSomeBad or importNothing.
type residentsImportCmd struct {
	File     string `arg:"" name:"FILE" help:"the CSV or XLSX file"`
	Region   string `placeholder:"CN" help:"phone region for numbers without a country code (default OUTREACH_PHONE_REGION, CN)"`
	Encoding string `default:"auto" placeholder:"auto|utf-8|gb18030|gbk|utf-16" help:"encoding of a CSV file: auto, utf-8, gb18030, gbk or utf-16"`
	Sheet    string `placeholder:"NAME" help:"worksheet of an XLSX file (default: the first visible one)"`
	DryRun   bool   `name:"dry-run" help:"check the file and report, without writing anything"`
	Estate   string `placeholder:"ID" help:"estate of the rows that name none (and of every row of a file without an estate column); default: the default estate"`
}

func (c *residentsImportCmd) run(ctx context.Context, e *env) int {
	path := c.File
	enc, err := resident.ParseEncoding(c.Encoding)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach residents import: --encoding: %v\n", err)
		return importNothing
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach residents import: %v\n", err)
		return importNothing
	}
	defer f.Close()
	in, head, err := sniff(f)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach residents import: %s: %v\n", path, err)
		return importNothing
	}
	format, err := resident.DetectFormat(path, head)
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach residents import: %s: %v\n", path, err)
		return importNothing
	}
	switch {
	case format == resident.FormatXLSX && enc != resident.EncodingAuto:
		fmt.Fprintf(e.stderr, "outreach residents import: %s is an XLSX workbook: --encoding is for CSV files\n", path)
		return importNothing
	case format == resident.FormatCSV && c.Sheet != "":
		fmt.Fprintf(e.stderr, "outreach residents import: %s is a CSV file: --sheet is for XLSX workbooks\n", path)
		return importNothing
	}

	unit := unitBytes
	if format == resident.FormatXLSX {
		unit = unitRows
	}
	bar := newProgressBar(e.stderr, "reading "+filepath.Base(path), unit)
	st, cfg, estates, ok := c.target(ctx, e)
	if !ok {
		return importNothing
	}
	if st != nil {
		defer st.Close()
	}
	if c.Estate != "" && estates != nil && !slices.Contains(estates, c.Estate) {
		fmt.Fprintf(e.stderr, "outreach residents import: --estate: no estate %q (see `outreach estates list`)\n", c.Estate)
		return importNothing
	}
	opt := resident.Options{DefaultRegion: c.Region, Encoding: enc, Sheet: c.Sheet, Progress: bar.Update,
		DefaultEstate: c.Estate, Estates: estates}
	if opt.DefaultRegion == "" {
		opt.DefaultRegion = cfg.PhoneRegion
	}
	var res resident.Result
	if format == resident.FormatXLSX {
		res, err = resident.ParseXLSX(in, opt)
	} else {
		res, err = resident.ParseCSV(in, opt)
	}
	bar.Done()
	if err != nil {
		fmt.Fprintf(e.stderr, "outreach residents import: %s: %v\n", path, err)
		return importNothing
	}

	report := importReport{path: path, format: format, res: res, chosen: enc, dryRun: c.DryRun}
	report.writeProblems(e.stderr)
	if len(res.Residents) > 0 && !c.DryRun {
		bar.Status(fmt.Sprintf("writing %s residents", thousands(int64(len(res.Residents)))))
		if st != nil { // else openStore said why not
			err = upsert(ctx, st, &report)
		}
		bar.Done()
		if err != nil {
			// The summary then says the good rows were not written.
			fmt.Fprintf(e.stderr, "outreach residents import: %v\n", err)
		}
	}
	report.writeSummary(e.stdout)
	return report.status()
}

// target opens the store the rows go to and lists the estates that
// exist, so that a row naming another is reported by line (the store
// would refuse the whole file). A dry run leaves the database alone: it
// only loads the settings, and checks the form of estate ids alone. A
// store that cannot be opened is said at once (st nil), and the file is
// still read and reported, its good rows not written.
func (c *residentsImportCmd) target(ctx context.Context, e *env) (st outreach.Store, cfg config.Config, estates []string, ok bool) {
	if c.DryRun {
		cfg, ok = e.loadConfig(config.GroupStore, config.GroupResidents)
		return nil, cfg, nil, ok
	}
	st, cfg, status := e.openStore(ctx, "residents import", config.GroupResidents)
	if st == nil {
		return nil, cfg, nil, status != 2
	}
	estates, err := estateIDs(ctx, st)
	if err != nil {
		_ = st.Close()
		fmt.Fprintf(e.stderr, "outreach residents import: %v\n", err)
		return nil, cfg, nil, false
	}
	return st, cfg, estates, true
}

// upsert writes the good rows of the report in one transaction.
func upsert(ctx context.Context, st outreach.Store, report *importReport) error {
	n, err := st.UpsertResidents(ctx, report.res.Residents)
	if err != nil {
		return fmt.Errorf("write residents: %w", err)
	}
	report.written = &n
	return nil
}

// sniff returns the first bytes of f for resident.DetectFormat, and a
// reader of the whole file. For a regular file that is f itself, so that
// the parsers can see its size for the progress bar; a pipe is read
// through the bytes sniffed.
func sniff(f *os.File) (io.Reader, []byte, error) {
	head := make([]byte, resident.SniffLen)
	n, err := f.ReadAt(head, 0)
	if err == nil || errors.Is(err, io.EOF) {
		return f, head[:n], nil
	}
	n, err = io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	return io.MultiReader(bytes.NewReader(head[:n]), f), head[:n], nil
}
