package resident

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// ErrEmptyFile is returned by ParseCSV and ParseXLSX for a file without a
// header row.
var ErrEmptyFile = errors.New("empty file: want a header row such as id,name,email,phone")

// Result is what ParseCSV or ParseXLSX read from a file.
type Result struct {
	// Residents are the good rows, in file order.
	Residents []outreach.Resident
	// Errors are the problems of the bad rows, in file order.
	Errors []RowError
	// Rows is the number of data rows read: the header, empty lines and
	// rows of empty cells (",,,,") are not counted. Every row is either a
	// resident or has at least one error.
	Rows int
	// Encoding is the encoding a CSV file was read in, chosen or detected.
	Encoding Encoding
	// Delimiter is the field separator of a CSV file: ',', ';' or '\t'.
	Delimiter rune
	// Sheet is the worksheet an XLSX file was read from.
	Sheet string
}

// ParseCSV reads a resident file: UTF-8 (with or without a BOM), GB18030
// or GBK (what Excel writes on a Chinese Windows), or UTF-16 with a BOM;
// see Options.Encoding and EncodingAuto. CRLF or LF line ends, a header
// row, then one resident per row; fields separated by ",", or by ";" or a
// tab when the header row uses that instead (Excel's "Unicode text" is
// tab-separated). The file is read as a stream; only the residents are
// kept in memory.
//
// The error is for a file that cannot be used at all: empty, a header that
// wraps ErrHeader (no id or name column, neither email nor phone, a name
// twice), bad Options, or a read failure. Problems of single rows go to
// Result.Errors and the row is left out; these rules apply:
//
//   - every cell is trimmed; id and name are required; ids are unique in
//     the file (a repeated id is an error on the later line);
//   - email and phone are optional but must be valid when present, and a row
//     needs one of them; phones become E.164, read in Options.DefaultRegion
//     when they have no country code;
//   - locale is optional (Options.DefaultLocale when empty) and normalized
//     ("zh_cn" becomes "zh-CN");
//   - tags and channels are lists separated by ";" (or "；", ",", "，").
//     Tags are kept as written, since jobs select them by exact match;
//     channels are lower-cased and must be "email" or "sms";
//   - every other named column with a non-empty cell becomes an attribute
//     keyed by the header name as written;
//   - a row with more or fewer cells than the header, broken quoting, or a
//     cell that is not text in the file's encoding is an error.
//
// Line numbers are physical lines of the file: the header is line 1 and a
// row whose quoted cell holds a line break counts all its lines.
func ParseCSV(r io.Reader, opt Options) (Result, error) {
	opt, err := opt.withDefaults().validate()
	if err != nil {
		return Result{}, err
	}
	counted := newProgressReader(r, opt.Progress)
	text, err := newTextReader(counted, opt.Encoding)
	if err != nil {
		return Result{}, err
	}
	br := bufio.NewReader(text)
	delim, err := sniffDelimiter(br)
	if err != nil {
		return Result{}, err
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // a row of the wrong width is a row error

	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return Result{}, ErrEmptyFile
	}
	if err != nil {
		return Result{}, fmt.Errorf("read header: %w", err)
	}
	h, err := parseHeader(rec)
	if err != nil {
		return Result{}, err
	}

	p := &rowParser{opt: opt, header: h, idLine: make(map[string]int)}
	res := Result{Delimiter: delim}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			res.Encoding = text.Encoding()
			counted.finish()
			return res, nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			// The reader starts afresh on the next line, so the rows after
			// a broken one can still be read.
			res.Rows++
			res.Errors = append(res.Errors, quotingError(perr))
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("read residents: %w", err)
		}
		if blank(rec) {
			continue
		}
		res.Rows++
		line, _ := cr.FieldPos(0)
		resident, rowErrs := p.parse(line, rec)
		if len(rowErrs) > 0 {
			if len(rec) != h.width {
				rowErrs[0].Err = spanHint(cr, rec, line, rowErrs[0].Err)
			}
			res.Errors = append(res.Errors, rowErrs...)
			continue
		}
		res.Residents = append(res.Residents, resident)
	}
}

// sniffDelimiter picks the field separator the header row uses most: ','
// (also when it has none), ';' (CSV from Excel where "," is the decimal
// mark) or a tab (Excel's "Unicode text").
func sniffDelimiter(br *bufio.Reader) (rune, error) {
	head, err := br.Peek(br.Size())
	if len(head) == 0 && err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read residents: %w", err)
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	best, most := ',', bytes.Count(head, []byte{','})
	for _, d := range []rune{';', '\t'} {
		if n := bytes.Count(head, []byte{byte(d)}); n > most {
			best, most = d, n
		}
	}
	return best, nil
}

// blank reports whether every cell of rec is empty, as in the ",,,," rows
// that spreadsheets leave at the end of an export.
func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// quotingError turns a CSV framing error into the error of the row where it
// starts, saying how many lines an unbalanced quote swallowed.
func quotingError(perr *csv.ParseError) RowError {
	err := fmt.Errorf("%w at column %d: %w", ErrQuoting, perr.Column, perr.Err)
	if perr.Line != perr.StartLine {
		err = fmt.Errorf("%w on line %d, column %d (the row spans lines %d-%d): %w",
			ErrQuoting, perr.Line, perr.Column, perr.StartLine, perr.Line, perr.Err)
	}
	return RowError{Line: perr.StartLine, Err: err}
}

// spanHint adds to a field-count error the lines the row spans when a
// quoted cell holds line breaks: the usual cause is an unbalanced quote.
func spanHint(cr *csv.Reader, rec []string, line int, err error) error {
	last, _ := cr.FieldPos(len(rec) - 1)
	end := last + strings.Count(rec[len(rec)-1], "\n")
	if end == line {
		return err
	}
	return fmt.Errorf("%w (the row spans lines %d-%d: check for an unbalanced quote)", err, line, end)
}
