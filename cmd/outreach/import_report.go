package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/resident"
)

// Exit statuses of `residents import`.
const (
	importAllGood  = 0 // every row was imported (or would be, on a dry run)
	importSomeBad  = 1 // some rows were rejected, the others imported
	importNothing  = 2 // nothing was imported: bad file, no good row, store error
	maxRowMessages = 100
)

// importReport is what `residents import` says about one file: the
// problems of each rejected row, then a summary with the problems grouped
// by column and reason. Row errors name columns and reasons, never the
// phone numbers or emails of the file.
type importReport struct {
	path    string
	format  resident.Format
	res     resident.Result
	chosen  resident.Encoding      // --encoding; EncodingAuto when not given
	written *outreach.ImportResult // nil until written; stays nil on a dry run
	dryRun  bool
}

// status is the exit status for the report.
func (r importReport) status() int {
	switch {
	case len(r.res.Residents) == 0, !r.dryRun && r.written == nil:
		return importNothing
	case len(r.res.Errors) > 0:
		return importSomeBad
	}
	return importAllGood
}

// where is how lines are called in this format: spreadsheets have rows.
func (r importReport) where() string {
	if r.format == resident.FormatXLSX {
		return "row"
	}
	return "line"
}

// writeProblems writes one line per row error, "FILE:LINE: column: what",
// up to maxRowMessages; the summary has every line number anyway.
func (r importReport) writeProblems(w io.Writer) {
	for i, e := range r.res.Errors {
		if i == maxRowMessages {
			fmt.Fprintf(w, "%s: %d more problems not shown; the summary lists every %s\n",
				r.path, len(r.res.Errors)-i, r.where())
			return
		}
		field := ""
		if e.Field != "" {
			field = e.Field + ": "
		}
		fmt.Fprintf(w, "%s:%d: %s%v\n", r.path, e.Line, field, e.Err)
	}
}

// writeSummary writes what was read, what was done, and the rejected rows
// grouped by problem:
//
//	export.csv: CSV in GB18030 (detected), 11 rows
//	  6 imported: 4 added, 2 updated
//	  5 rejected:
//	    phone: invalid phone number (2 rows): lines 6, 10
func (r importReport) writeSummary(w io.Writer) {
	fmt.Fprintf(w, "%s: %s, %s\n", r.path, r.source(), plural(r.res.Rows, "row"))
	good := len(r.res.Residents)
	switch {
	case r.res.Rows == 0:
		fmt.Fprintln(w, "  nothing imported: no data rows after the header")
	case good == 0:
		fmt.Fprintln(w, "  nothing imported: every row was rejected")
	case r.dryRun:
		fmt.Fprintf(w, "  %s good, not written (dry run)\n", thousands(int64(good)))
	case r.written != nil:
		fmt.Fprintf(w, "  %s imported: %s added, %s updated\n", thousands(int64(good)),
			thousands(int64(r.written.Added)), thousands(int64(r.written.Updated)))
	default:
		fmt.Fprintf(w, "  nothing imported: %s good rows not written\n", thousands(int64(good)))
	}
	rejected := r.res.Rows - good
	if rejected == 0 {
		return
	}
	fmt.Fprintf(w, "  %s rejected:\n", thousands(int64(rejected)))
	for _, g := range groupProblems(r.res.Errors) {
		fmt.Fprintf(w, "    %s (%s): %s\n", g.title(), plural(len(g.lines), "row"), lineList(r.where(), g.lines))
	}
}

// source describes the file: "CSV in GB18030 (detected)", "XLSX, sheet "住户"".
func (r importReport) source() string {
	if r.format == resident.FormatXLSX {
		return fmt.Sprintf("XLSX, sheet %q", r.res.Sheet)
	}
	s := "CSV in " + r.res.Encoding.String()
	switch r.chosen {
	case resident.EncodingAuto:
		s += " (detected)"
	case r.res.Encoding:
	default:
		s += " (by its byte order mark)"
	}
	switch r.res.Delimiter {
	case '\t':
		s += ", tab-separated"
	case ';':
		s += ", semicolon-separated"
	}
	return s
}

// problemGroup is the rows that share a problem.
type problemGroup struct {
	field, reason string
	lines         []int // in file order, each once
}

func (g problemGroup) title() string {
	if g.field == "" {
		return g.reason
	}
	return g.field + ": " + g.reason
}

// groupProblems groups row errors by column and reason, the largest group
// first, then in the order the file first shows them.
func groupProblems(errs []resident.RowError) []problemGroup {
	var groups []problemGroup
	index := make(map[[2]string]int)
	for _, e := range errs {
		key := [2]string{e.Field, e.Reason()}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, problemGroup{field: e.Field, reason: e.Reason()})
		}
		g := &groups[i]
		if n := len(g.lines); n == 0 || g.lines[n-1] != e.Line {
			g.lines = append(g.lines, e.Line)
		}
	}
	slices.SortStableFunc(groups, func(a, b problemGroup) int {
		return cmp.Compare(len(b.lines), len(a.lines))
	})
	return groups
}

// lineList writes ascending line numbers with runs as ranges:
// "lines 4-7, 9".
func lineList(where string, lines []int) string {
	var parts []string
	for i := 0; i < len(lines); {
		j := i
		for j+1 < len(lines) && lines[j+1] == lines[j]+1 {
			j++
		}
		part := strconv.Itoa(lines[i])
		if j > i {
			part += "-" + strconv.Itoa(lines[j])
		}
		parts = append(parts, part)
		i = j + 1
	}
	if len(lines) == 1 {
		return where + " " + parts[0]
	}
	return where + "s " + strings.Join(parts, ", ")
}

// plural writes "1 row", "3 rows".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(int64(n)) + " " + noun + "s"
}
