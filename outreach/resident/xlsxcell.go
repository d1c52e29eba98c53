package resident

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// sheetRows walks a worksheet row by row, as a stream. It reads the sheet
// twice side by side, once as shown (number formats applied) and once as
// stored, because excelize's row iterator gives one or the other and
// neither alone is right for every cell (see cellText).
type sheetRows struct {
	shown, stored *excelize.Rows
	line          int // the current row number, from 1
	last          int // the last row number the sheet declares, 0 if it does not
}

func newSheetRows(f *excelize.File, sheet string) (*sheetRows, error) {
	shown, err := f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	stored, err := f.Rows(sheet)
	if err != nil {
		shown.Close()
		return nil, fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	s := &sheetRows{shown: shown, stored: stored}
	// "A1:K5000": the progress total. Optional, and may be missing.
	if dim, err := f.GetSheetDimension(sheet); err == nil {
		if _, last, ok := strings.Cut(dim, ":"); ok {
			if _, row, err := excelize.CellNameToCoordinates(last); err == nil {
				s.last = row
			}
		}
	}
	return s, nil
}

// next moves to the next row, empty or not.
func (s *sheetRows) next() bool {
	a, b := s.shown.Next(), s.stored.Next()
	if a && b {
		s.line++
	}
	return a && b
}

// cells returns the current row's number and cells.
func (s *sheetRows) cells() (int, []string, error) {
	shown, err := s.shown.Columns()
	if err != nil {
		return s.line, nil, fmt.Errorf("read row %d: %w", s.line, err)
	}
	stored, err := s.stored.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return s.line, nil, fmt.Errorf("read row %d: %w", s.line, err)
	}
	out := make([]string, max(len(shown), len(stored)))
	for i := range out {
		var a, b string
		if i < len(shown) {
			a = shown[i]
		}
		if i < len(stored) {
			b = stored[i]
		}
		out[i] = cellText(a, b)
	}
	return s.line, out, nil
}

// err is why the walk stopped early, if it did.
func (s *sheetRows) err() error {
	if err := errors.Join(s.shown.Error(), s.stored.Error()); err != nil {
		return fmt.Errorf("read row %d: %w", s.line+1, err)
	}
	return nil
}

func (s *sheetRows) close() {
	s.shown.Close()
	s.stored.Close()
}

// cellText picks what a cell says, from how the spreadsheet shows it and
// what it stores. Usually they agree, or what is shown is right: text,
// dates ("2009/5/1", "2009年5月1日"), percentages, TRUE. But a number shown
// as a plain number may have lost digits on the way: "1.38E+10",
// "13,800,138,000", "12" for 12.4, "1.23456789012346E+17". Then the stored
// number is what was typed, written out in full; unless the format pads it
// with zeros ("075588888888" for a landline stored as 75588888888), which
// is how people keep leading zeros in Excel.
func cellText(shown, stored string) string {
	if shown == stored || !plainNumber(shown) || zeroPadded(shown) {
		return shown
	}
	f, err := strconv.ParseFloat(stored, 64)
	if err != nil {
		return shown
	}
	if strings.ContainsAny(stored, "eE") {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return stored // as stored: a float64 would round 18-digit integers
}

// plainNumber reports whether s is a number written with nothing but
// digits, a sign, a decimal point, thousands separators and an exponent:
// "1.38E+10", "13,800,138,000", "-12.5". Not "2009-05-01", "50%" or "¥12".
func plainNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.NewReplacer(",", "", " ", "").Replace(s), 64)
	return err == nil && strings.ContainsAny(s, "0123456789")
}

// zeroPadded reports whether s is digits with a leading zero, as a number
// format such as "000000000000" shows a number.
func zeroPadded(s string) bool {
	if len(s) < 2 || s[0] != '0' {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
