package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/resident"
)

func TestLineList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lines []int
		want  string
	}{
		{[]int{7}, "line 7"},
		{[]int{4, 9}, "lines 4, 9"},
		{[]int{4, 5, 6, 7, 9, 11, 12}, "lines 4-7, 9, 11-12"},
		{[]int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}, "lines 2-21"},
	}
	for _, tt := range tests {
		if got := lineList("line", tt.lines); got != tt.want {
			t.Errorf("lineList(%v) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}

func TestGroupProblems(t *testing.T) {
	t.Parallel()
	errs := []resident.RowError{
		{Line: 3, Field: "email", Err: resident.ErrInvalidEmail},
		{Line: 4, Field: "phone", Err: fmt.Errorf("%w: contains letters", resident.ErrInvalidPhone)},
		{Line: 4, Field: "email", Err: resident.ErrInvalidEmail},
		{Line: 5, Field: "phone", Err: fmt.Errorf("%w: not a valid number", resident.ErrInvalidPhone)},
		{Line: 6, Field: "phone", Err: fmt.Errorf("%w: too short", resident.ErrInvalidPhone)},
		{Line: 8, Err: resident.ErrFieldCount},
		{Line: 9, Field: "channels", Err: fmt.Errorf("%w %q", resident.ErrUnknownChannel, "fax")},
		{Line: 9, Field: "channels", Err: fmt.Errorf("%w %q", resident.ErrUnknownChannel, "pigeon")},
	}
	var got []string
	for _, g := range groupProblems(errs) {
		got = append(got, fmt.Sprintf("%s %v", g.title(), g.lines))
	}
	want := []string{
		"phone: invalid phone number [4 5 6]",
		"email: not a valid email address [3 4]",
		"wrong number of fields [8]",
		"channels: unknown channel [9]", // two errors, one row
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestImportReportSummary(t *testing.T) {
	t.Parallel()
	twoGood := []outreach.Resident{{ID: "a"}, {ID: "b"}}
	rowErr := []resident.RowError{{Line: 4, Field: "phone", Err: resident.ErrInvalidPhone}}
	tests := []struct {
		name   string
		report importReport
		want   string
		status int
	}{
		{
			name: "xlsx written",
			report: importReport{path: "r.xlsx", format: resident.FormatXLSX, written: &outreach.ImportResult{Added: 1, Updated: 1},
				res: resident.Result{Sheet: "住户", Rows: 3, Residents: twoGood, Errors: rowErr}},
			want: "r.xlsx: XLSX, sheet \"住户\", 3 rows\n  2 imported: 1 added, 1 updated\n  1 rejected:\n" +
				"    phone: invalid phone number (1 row): row 4\n",
			status: importSomeBad,
		},
		{
			name: "unicode text, encoding chosen but a BOM said otherwise",
			report: importReport{path: "r.txt", format: resident.FormatCSV, chosen: resident.EncodingGBK, dryRun: true,
				res: resident.Result{Encoding: resident.EncodingUTF16, Delimiter: '\t', Rows: 2, Residents: twoGood}},
			want:   "r.txt: CSV in UTF-16 (by its byte order mark), tab-separated, 2 rows\n  2 good, not written (dry run)\n",
			status: importAllGood,
		},
		{
			name: "semicolons, as chosen",
			report: importReport{path: "r.csv", format: resident.FormatCSV, chosen: resident.EncodingUTF8,
				res: resident.Result{Encoding: resident.EncodingUTF8, Delimiter: ';', Rows: 1, Errors: rowErr}},
			want:   "r.csv: CSV in UTF-8, semicolon-separated, 1 row\n  nothing imported: every row was rejected\n  1 rejected:\n    phone: invalid phone number (1 row): line 4\n",
			status: importNothing,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			tt.report.writeSummary(&out)
			if out.String() != tt.want {
				t.Errorf("summary:\n%s\nwant:\n%s", out.String(), tt.want)
			}
			if got := tt.report.status(); got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
		})
	}
}

func TestImportReportProblemsCapped(t *testing.T) {
	t.Parallel()
	var errs []resident.RowError
	for i := range 250 {
		errs = append(errs, resident.RowError{Line: i + 2, Field: "phone", Err: resident.ErrInvalidPhone})
	}
	r := importReport{path: "big.csv", format: resident.FormatCSV, res: resident.Result{Rows: 250, Errors: errs}}
	var out bytes.Buffer
	r.writeProblems(&out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != maxRowMessages+1 || lines[0] != "big.csv:2: phone: invalid phone number" ||
		lines[maxRowMessages] != "big.csv: 150 more problems not shown; the summary lists every line" {
		t.Errorf("%d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
	out.Reset()
	r.writeSummary(&out)
	if !strings.Contains(out.String(), "phone: invalid phone number (250 rows): lines 2-251") {
		t.Errorf("summary:\n%s", out.String())
	}
}
