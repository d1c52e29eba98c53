package resident

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/outreach-dev/outreach/outreach"
)

// xlsxUnzipLimit bounds what a workbook may unpack to, against zip bombs.
// A sheet of 80,000 residents with eleven columns unpacks to about 45 MB.
const xlsxUnzipLimit = 256 << 20

// ParseXLSX reads residents from an Excel workbook (.xlsx): the worksheet
// Options.Sheet, or the first visible one. The first non-empty row is the
// header; the columns and the rules are ParseCSV's. Line numbers in
// RowError are the spreadsheet's row numbers.
//
// Each cell is read as the spreadsheet shows it, except where that loses
// what was typed (see cellText): numbers come out in full ("13800138000",
// not "1.38E+10" or "13,800,138,000"), numbers shown with leading zeros
// keep them, and dates in the locale's short format come out as
// "2006-01-02". The zipped workbook is read into memory; the worksheet is
// read as a stream.
func ParseXLSX(r io.Reader, opt Options) (Result, error) {
	opt, err := opt.withDefaults().validate()
	if err != nil {
		return Result{}, err
	}
	f, err := excelize.OpenReader(r, excelize.Options{
		UnzipSizeLimit:   xlsxUnzipLimit,
		ShortDatePattern: "yyyy-mm-dd",
		LongTimePattern:  "hh:mm:ss",
	})
	if err != nil {
		return Result{}, fmt.Errorf("read XLSX workbook: %w", err)
	}
	defer f.Close()
	sheet, err := pickSheet(f, opt.Sheet)
	if err != nil {
		return Result{}, err
	}
	rows, err := newSheetRows(f, sheet)
	if err != nil {
		return Result{}, err
	}
	defer rows.close()

	res := Result{Sheet: sheet}
	var p *rowParser
	for rows.next() {
		line, cells, err := rows.cells()
		if err != nil {
			return Result{}, err
		}
		opt.Progress(int64(line), int64(rows.last))
		if blank(cells) {
			continue
		}
		if p == nil {
			h, err := parseHeader(trimEmptyTail(cells))
			if err != nil {
				return Result{}, fmt.Errorf("row %d: %w", line, err)
			}
			p = &rowParser{opt: opt, header: h, idLine: make(map[string]int)}
			continue
		}
		res.Rows++
		resident, rowErrs := p.parseSheetRow(line, cells)
		if len(rowErrs) > 0 {
			res.Errors = append(res.Errors, rowErrs...)
			continue
		}
		res.Residents = append(res.Residents, resident)
	}
	if err := rows.err(); err != nil {
		return Result{}, err
	}
	if p == nil {
		return Result{}, ErrEmptyFile
	}
	return res, nil
}

// parseSheetRow fits a spreadsheet row to the header and parses it. A
// spreadsheet leaves out the empty cells at the end of a row, so a short
// row is padded; a cell past the header's last column is an error of that
// column, as a value under an unnamed column is.
func (p *rowParser) parseSheetRow(line int, cells []string) (outreach.Resident, []RowError) {
	var extra []string
	if len(cells) > p.header.width {
		cells, extra = cells[:p.header.width], cells[p.header.width:]
	}
	for len(cells) < p.header.width {
		cells = append(cells, "")
	}
	resident, errs := p.parse(line, cells)
	for i, v := range extra {
		if strings.TrimSpace(v) != "" {
			id := strings.TrimSpace(cells[p.header.known[colID]])
			errs = append(errs, RowError{Line: line, ID: id,
				Field: fmt.Sprintf("column %d", p.header.width+i+1), Err: ErrUnnamedColumn})
		}
	}
	if len(errs) > 0 {
		return outreach.Resident{}, errs
	}
	return resident, nil
}

// pickSheet returns name when the workbook has it, else the first visible
// worksheet.
func pickSheet(f *excelize.File, name string) (string, error) {
	sheets := f.GetSheetList()
	if name != "" {
		for _, s := range sheets {
			if s == name {
				return s, nil
			}
		}
		return "", fmt.Errorf("no sheet %q in the workbook: it has %s", name, quoteAll(sheets))
	}
	for _, s := range sheets {
		if visible, err := f.GetSheetVisible(s); err == nil && visible {
			return s, nil
		}
	}
	return "", fmt.Errorf("the workbook has no visible sheet")
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// trimEmptyTail drops the empty cells at the end of a row.
func trimEmptyTail(cells []string) []string {
	for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}
