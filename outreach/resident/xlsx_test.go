package resident

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/outreach-dev/outreach/outreach"
)

// sheetWriter fills a worksheet of a workbook made in the test.
type sheetWriter struct {
	t     testing.TB
	f     *excelize.File
	sheet string
}

// set writes v to cell, with the number format code fmtCode unless it is "".
func (w sheetWriter) set(cell string, v any, fmtCode string) {
	w.t.Helper()
	if err := w.f.SetCellValue(w.sheet, cell, v); err != nil {
		w.t.Fatalf("set %s: %v", cell, err)
	}
	if fmtCode == "" {
		return
	}
	style, err := w.f.NewStyle(&excelize.Style{CustomNumFmt: &fmtCode})
	if err != nil {
		w.t.Fatalf("style %q: %v", fmtCode, err)
	}
	if err := w.f.SetCellStyle(w.sheet, cell, cell, style); err != nil {
		w.t.Fatalf("style %s: %v", cell, err)
	}
}

// row writes cells to row n from column A; nil leaves a cell empty.
func (w sheetWriter) row(n int, cells ...any) {
	w.t.Helper()
	for i, v := range cells {
		if v == nil {
			continue
		}
		name, err := excelize.CoordinatesToCellName(i+1, n)
		if err != nil {
			w.t.Fatal(err)
		}
		w.set(name, v, "")
	}
}

// builtin gives cell a built-in number format (14 is the locale's short date).
func (w sheetWriter) builtin(cell string, id int) {
	w.t.Helper()
	style, err := w.f.NewStyle(&excelize.Style{NumFmt: id})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.f.SetCellStyle(w.sheet, cell, cell, style); err != nil {
		w.t.Fatal(err)
	}
}

// workbook builds an .xlsx file whose first sheet is named sheet.
func workbook(t testing.TB, sheet string, fill func(w sheetWriter)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	fill(sheetWriter{t: t, f: f, sheet: sheet})
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exportSheet is a resident list as a property office keeps it in Excel:
// phones typed as numbers, a landline kept with a zero-padding format, a
// narrow column that shows 1.39E+10, dates, an empty row, and bad rows.
func exportSheet(w sheetWriter) {
	w.row(1, "id", "name", "email", "phone", "locale", "building", "unit", "tags", "channels", "floor", "move_in_date")
	w.row(2, "r-1", "张伟", "zhang.wei@example.com", 13800138000, "zh-CN", 1, "1-101", "elderly", "sms;email", 1)
	w.set("K2", time.Date(2009, 5, 1, 0, 0, 0, 0, time.UTC), "")
	w.builtin("K2", 14) // m/d/yyyy or d/m/yyyy by locale: must come out ISO
	w.row(3, "r-2", "李娜", nil, nil, nil, 1, "1-502")
	w.set("D3", 75588888888, "000000000000") // shown 075588888888
	w.row(4, "r-3", "王秀英", nil, nil, "zh_CN", 2, "2-301", "elderly", "SMS")
	w.set("D4", 13912345678, "0.00E+00") // shown 1.39E+10
	// Row 5 is empty.
	w.row(6, "r-4", "刘洋", "liu.yang@example", 13700001234, nil, 2, "2-402")
	w.row(7, "r-5", "陈静", nil, nil, nil, 2, "2-503", nil, nil, 5)
	w.set("D7", 13600001111, "#,##0") // shown 13,600,001,111
	w.row(8, "r-6", "Emily Carter", "emily@example.com", "+44 7911 123456", "en-GB", 3, "3-1203", "new_resident", "email", 12)
	w.set("K8", 45931, `yyyy"年"m"月"d"日"`) // as shown: 2025年10月1日
	w.row(9, "r-7", "赵敏", nil, 12345, nil, 3, "3-707")
	w.row(10, "r-8", "孙悦", "sun@example.com", nil, nil, 3, "3-808", nil, nil, nil, nil, "stray")
	w.row(11, "r-1", "张伟", "zhang2@example.com")
	w.row(12, 1001, "周杰", nil, "0755-8888 8888", nil, 3, 909, nil, nil, 9.5)
}

func TestParseXLSX(t *testing.T) {
	t.Parallel()
	file := workbook(t, "住户", exportSheet)
	res, err := ParseXLSX(bytes.NewReader(file), Options{})
	if err != nil {
		t.Fatalf("ParseXLSX: %v", err)
	}
	want := []outreach.Resident{
		{
			ID: "r-1", Name: "张伟", Email: "zhang.wei@example.com", Phone: "+8613800138000", Locale: "zh-CN",
			Building: "1", Unit: "1-101", Tags: []string{"elderly"},
			Channels:   []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail},
			Attributes: map[string]string{"floor": "1", "move_in_date": "2009-05-01"},
		},
		{ID: "r-2", Name: "李娜", Phone: "+8675588888888", Locale: "zh-CN", Building: "1", Unit: "1-502"},
		{
			ID: "r-3", Name: "王秀英", Phone: "+8613912345678", Locale: "zh-CN", Building: "2", Unit: "2-301",
			Tags: []string{"elderly"}, Channels: []outreach.Channel{outreach.ChannelSMS},
		},
		{
			ID: "r-5", Name: "陈静", Phone: "+8613600001111", Locale: "zh-CN", Building: "2", Unit: "2-503",
			Attributes: map[string]string{"floor": "5"},
		},
		{
			ID: "r-6", Name: "Emily Carter", Email: "emily@example.com", Phone: "+447911123456", Locale: "en-GB",
			Building: "3", Unit: "3-1203", Tags: []string{"new_resident"}, Channels: []outreach.Channel{outreach.ChannelEmail},
			Attributes: map[string]string{"floor": "12", "move_in_date": "2025年10月1日"},
		},
		{
			ID: "1001", Name: "周杰", Phone: "+8675588888888", Locale: "zh-CN", Building: "3", Unit: "909",
			Attributes: map[string]string{"floor": "9.5"},
		},
	}
	if !reflect.DeepEqual(res.Residents, want) {
		t.Errorf("residents:\n got %+v\nwant %+v", res.Residents, want)
	}
	checkErrors(t, res.Errors, []wantErr{
		{line: 6, field: "email", is: ErrInvalidEmail},
		{line: 9, field: "phone", is: ErrInvalidPhone},
		{line: 10, field: "column 12", is: ErrUnnamedColumn},
		{line: 11, field: "id", is: ErrDuplicateID, text: "line 2"},
	})
	if res.Rows != 10 || res.Sheet != "住户" {
		t.Errorf("Rows = %d, Sheet = %q; want 10 rows (2-4, 6-12) of 住户", res.Rows, res.Sheet)
	}
}

func TestParseXLSXSheets(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	// The first sheet is hidden working data; the residents are on "2026".
	if err := f.SetSheetName("Sheet1", "lookup"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"2026", "2025"} {
		if _, err := f.NewSheet(s); err != nil {
			t.Fatal(err)
		}
		w := sheetWriter{t: t, f: f, sheet: s}
		w.row(1, "ID", "Name", "Phone")
		w.row(2, "r-"+s, "张伟", "13800138000")
	}
	idx, err := f.GetSheetIndex("2026")
	if err != nil {
		t.Fatal(err)
	}
	f.SetActiveSheet(idx) // Excel cannot hide the active sheet
	if err := f.SetSheetVisible("lookup", false); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()

	tests := []struct {
		sheet, wantID, err string
	}{
		{"", "r-2026", ""},
		{"2025", "r-2025", ""},
		{"2024", "", `no sheet "2024" in the workbook: it has "lookup", "2026", "2025"`},
	}
	for _, tt := range tests {
		res, err := ParseXLSX(bytes.NewReader(file), Options{Sheet: tt.sheet})
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("sheet %q: error %v, want %q", tt.sheet, err, tt.err)
			}
			continue
		}
		if err != nil || len(res.Residents) != 1 || res.Residents[0].ID != tt.wantID {
			t.Errorf("sheet %q: %+v, %v; want resident %s", tt.sheet, res.Residents, err, tt.wantID)
		}
	}
}

func TestParseXLSXFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file []byte
		is   error
		text string
	}{
		{name: "not a workbook", file: []byte("id,name,phone\n"), text: "read XLSX workbook"},
		{name: "empty sheet", file: workbook(t, "Sheet1", func(sheetWriter) {}), is: ErrEmptyFile},
		{
			name: "header lacks name",
			file: workbook(t, "Sheet1", func(w sheetWriter) {
				w.row(3, "id", "phone")
			}),
			is: ErrHeader, text: "row 3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseXLSX(bytes.NewReader(tt.file), Options{})
			if err == nil {
				t.Fatal("ParseXLSX succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
		})
	}
}

func TestParseXLSXProgress(t *testing.T) {
	t.Parallel()
	file := workbook(t, "Sheet1", func(w sheetWriter) {
		exportSheet(w)
		// Excel writes the used range at the top of the sheet; excelize
		// leaves it to the caller.
		if err := w.f.SetSheetDimension(w.sheet, "A1:L12"); err != nil {
			t.Fatal(err)
		}
	})
	var rows []int64
	var total int64
	if _, err := ParseXLSX(bytes.NewReader(file), Options{Progress: func(done, all int64) {
		rows = append(rows, done)
		total = all
	}}); err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; !slices.Equal(rows, want) || total != 12 {
		t.Errorf("progress %v of %d, want %v of 12", rows, total, want)
	}
}

func TestCellText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		shown, stored, want string
	}{
		{"张伟", "张伟", "张伟"},
		{"13800138000", "13800138000", "13800138000"},
		{"1.38E+10", "13800138000", "13800138000"},
		{"13,800,138,000", "13800138000", "13800138000"},
		{"1.23456789012346E+17", "123456789012345678", "123456789012345678"},
		{"1.38E+10", "1.3800138E10", "13800138000"},
		{"12", "12.4", "12.4"},
		{"075588888888", "75588888888", "075588888888"},
		{"2009-05-01", "39934", "2009-05-01"},
		{"2009年5月1日", "39934", "2009年5月1日"},
		{"50%", "0.5", "50%"},
		{"TRUE", "1", "TRUE"},
		{"¥1,234.50", "1234.5", "¥1,234.50"},
		{"0", "0.4", "0.4"},
		{"", "", ""},
		{"1,5", "text", "1,5"},
	}
	for _, tt := range tests {
		if got := cellText(tt.shown, tt.stored); got != tt.want {
			t.Errorf("cellText(%q, %q) = %q, want %q", tt.shown, tt.stored, got, tt.want)
		}
	}
}
