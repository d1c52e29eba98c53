package resident

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Format is the kind of file an import reads.
type Format string

// The formats DetectFormat tells apart.
const (
	FormatCSV  Format = "csv"  // ParseCSV: also .txt, tab-separated or not
	FormatXLSX Format = "xlsx" // ParseXLSX
)

// ErrUnsupportedFormat is wrapped by DetectFormat's errors.
var ErrUnsupportedFormat = errors.New("unsupported file format")

// SniffLen is how many bytes from the start of a file DetectFormat wants.
const SniffLen = 512

var (
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts Excel 97-2003 workbooks and encrypted .xlsx files.
	oleMagic = []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
)

// DetectFormat picks the parser for a file from its first bytes (up to
// SniffLen) and its name. The content decides: a zip archive is a workbook
// whatever its name, since people rename files. A name ending in .xlsx
// whose content is not a zip archive, an Excel 97-2003 .xls workbook, and
// an HTML page or Excel 2003 XML (which some systems export with a .xls
// name) are errors that say what to do; everything else is read as CSV.
func DetectFormat(name string, head []byte) (Format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return FormatXLSX, nil
	case bytes.HasPrefix(head, oleMagic):
		return "", fmt.Errorf("%w: an Excel 97-2003 workbook (.xls) or an encrypted one: "+
			"save it as .xlsx (without a password) or as CSV", ErrUnsupportedFormat)
	case ext == ".xlsx" || ext == ".xlsm":
		return "", fmt.Errorf("%w: named %s but not an Excel workbook", ErrUnsupportedFormat, ext)
	case looksLikeHTML(head):
		return "", fmt.Errorf("%w: a web page or an XML spreadsheet: open it in Excel and save it as .xlsx or CSV",
			ErrUnsupportedFormat)
	}
	return FormatCSV, nil
}

// looksLikeHTML reports whether head starts (after a BOM and spaces) with
// an HTML tag.
func looksLikeHTML(head []byte) bool {
	s := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(string(head), "\uFEFF")))
	for _, tag := range []string{"<!doctype html", "<html", "<table", "<?xml"} {
		if strings.HasPrefix(s, tag) {
			return true
		}
	}
	return false
}
