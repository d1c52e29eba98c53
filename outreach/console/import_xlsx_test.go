package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestImportXLSX: a workbook is read by the same parser as a CSV file,
// its bad row reported by its row number (the header is row 1).
func TestImportXLSX(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	c.mustSignIn("admin")
	wb := excelize.NewFile()
	defer wb.Close()
	for i, row := range [][]any{
		{"id", "name", "phone", "estate"},
		{"x1", "徐一", "13800000101", "north"},
		{"x2", "", "13800000102", "north"}, // row 3: no name
		{"x3", "徐三", "13800000103", "south"},
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := wb.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := wb.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	status, loc, body := c.upload("住户.xlsx", buf.Bytes())
	if status != http.StatusSeeOther {
		t.Fatalf("upload = %d: %s", status, body)
	}
	body = c.finished(f, loc)
	must(t, strings.Contains(body, `<tr class="bad-row" data-line="3">`) && strings.Contains(body, "required, empty here") &&
		strings.Contains(body, "3 rows read: 2 good, 1 bad."), "the workbook's report: %s", body)
	if _, err := f.store.Resident(t.Context(), "x1"); err == nil {
		t.Error("a workbook with a bad row was written before the confirmation")
	}
}
