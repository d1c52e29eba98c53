package resident

import (
	"errors"
	"testing"
)

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	xlsx := workbook(t, "Sheet1", func(sheetWriter) {})
	tests := []struct {
		name string
		head []byte
		want Format // "" means an error
	}{
		{"residents.csv", []byte("id,name,phone\r\n"), FormatCSV},
		{"residents.txt", []byte("\xFF\xFEi\x00d\x00\t\x00"), FormatCSV},
		{"residents", []byte("id,name"), FormatCSV},
		{"empty.csv", nil, FormatCSV},
		{"residents.xlsx", xlsx, FormatXLSX},
		{"residents.XLSX", xlsx, FormatXLSX},
		{"renamed.csv", xlsx, FormatXLSX},
		{"no-name", xlsx, FormatXLSX},
		{"tab-separated.xls", []byte("id\tname\tphone\n"), FormatCSV},

		{"old.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), ""},
		{"encrypted.xlsx", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"), ""},
		{"fake.xlsx", []byte("id,name,phone\n"), ""},
		{"export.xls", []byte("\uFEFF  <HTML><table><tr><td>id</td>"), ""},
		{"export.xls", []byte("<?xml version=\"1.0\"?><Workbook>"), ""},
	}
	for _, tt := range tests {
		got, err := DetectFormat(tt.name, tt.head)
		switch {
		case tt.want == "" && !errors.Is(err, ErrUnsupportedFormat):
			t.Errorf("DetectFormat(%q) = %q, %v; want ErrUnsupportedFormat", tt.name, got, err)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("DetectFormat(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}
