package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
)

// exportLines is a resident list as a property office exports it from a
// spreadsheet: Chinese names, local phone formats, and a few bad rows.
var exportLines = []string{
	"id,name,email,phone,locale,building,unit,tags,channels,floor",                 // 1
	"r-1,张伟,zhang.wei@example.com,138 0013 8000,zh-CN,1,1-101,elderly,sms;email,1", // 2
	"r-2,李娜,,139-1234-5678,,1,1-502,new_resident,,5",                               // 3
	"r-3,王秀英,,(010) 6552 9988,zh_CN,2,2-301,elderly,sms,3",                         // 4 landline
	"r-4,刘洋,liu.yang@example,13700001234,zh-CN,2,2-402,,,4",                        // 5 bad email
	"r-5,陈静,,1380013800,zh-CN,2,2-503,,sms,5",                                      // 6 bad phone
	"r-6,Emily Carter,emily@example.com,+44 7911 123456,en-GB,3,3-1203,,email,12",  // 7
	"r-2,李娜,,13912345678,zh-CN,1,1-502,,,5",                                        // 8 duplicate id
	"r-7,周杰,,0755-8888 8888,,3,3-909,,sms,9",                                       // 9 landline
	",,,,,,,,,", // 10 filler
}

// wantPhones are the good rows of exportLines and their E.164 phones.
var wantPhones = map[string]string{
	"r-1": "+8613800138000", "r-2": "+8613912345678", "r-3": "+861065529988",
	"r-6": "+447911123456", "r-7": "+8675588888888",
}

// pii are contacts of the bad rows, which no output may repeat.
var pii = []string{"liu.yang@example", "1380013800", "13912345678", "13700001234"}

// exportCSV is exportLines as Excel's "CSV UTF-8": a BOM and CRLF.
func exportCSV() []byte {
	return []byte("\uFEFF" + strings.Join(exportLines, "\r\n") + "\r\n")
}

// importRun is the outcome of one `outreach residents import`.
type importRun struct {
	status         int
	stdout, stderr string
}

// runImport runs `outreach residents import args...` in this process
// against the SQLite database dbURL.
func runImport(t *testing.T, dbURL string, args ...string) importRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(name string) string {
		switch name {
		case "OUTREACH_DATABASE_URL":
			return dbURL
		case "OUTREACH_PHONE_REGION":
			return "CN"
		}
		return ""
	}}
	status := runArgs(context.Background(), e, append([]string{"residents", "import"}, args...), false)
	run := importRun{status: status, stdout: stdout.String(), stderr: stderr.String()}
	for _, s := range pii {
		if strings.Contains(run.stdout+run.stderr, s) {
			t.Errorf("the output shows the contact %q:\n%s%s", s, run.stdout, run.stderr)
		}
	}
	// Not a terminal: no progress bar (see also TestProgressBarNil).
	if strings.ContainsAny(run.stdout+run.stderr, "\r\033") {
		t.Errorf("control characters in the output:\n%q", run.stdout+run.stderr)
	}
	return run
}

// tempDB returns the URL of a new SQLite database, and where it will be.
// The test's name must not hold "#" or "?", which would end the URL's path.
func tempDB(t *testing.T) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outreach.db")
	return "sqlite://" + path, path
}

// writeFile writes data to a file name in a new temporary directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// residentsIn reads every resident of the database, by id.
func residentsIn(t *testing.T, dbURL string) map[string]outreach.Resident {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := make(map[string]outreach.Resident)
	err = st.Residents(ctx, outreach.Audience{All: true}, func(r outreach.Resident) error {
		out[r.ID] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkStored checks that the database holds the good rows of exportLines
// with E.164 phones, and none of the bad ones.
func checkStored(t *testing.T, dbURL string) {
	t.Helper()
	got := residentsIn(t, dbURL)
	phones := make(map[string]string)
	for id, r := range got {
		phones[id] = r.Phone
	}
	if !reflect.DeepEqual(phones, wantPhones) {
		t.Errorf("stored phones %v, want %v", phones, wantPhones)
	}
	r := got["r-1"]
	if r.Name != "张伟" || r.Email != "zhang.wei@example.com" || !r.HasTag("elderly") ||
		!slices.Equal(r.Channels, []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail}) ||
		r.Attributes["floor"] != "1" {
		t.Errorf("stored r-1 = %+v", r)
	}
	if got["r-3"].Name != "王秀英" || got["r-3"].Locale != "zh-CN" {
		t.Errorf("stored r-3 = %+v, want 王秀英 in zh-CN", got["r-3"])
	}
}

// checkOutput checks the report of an import of exportLines; where is
// "line" or "row".
func checkOutput(t *testing.T, run importRun, path, where string, added, updated int) {
	t.Helper()
	if run.status != importSomeBad {
		t.Errorf("exit status %d, want %d\n%s%s", run.status, importSomeBad, run.stdout, run.stderr)
	}
	wantOut := []string{
		"5 imported: " + itoa(added) + " added, " + itoa(updated) + " updated",
		"3 rejected:",
		"email: not a valid email address (1 row): " + where + " 5",
		"phone: invalid phone number (1 row): " + where + " 6",
		"id: duplicate id (1 row): " + where + " 8",
	}
	for _, w := range wantOut {
		if !strings.Contains(run.stdout, w) {
			t.Errorf("stdout does not say %q:\n%s", w, run.stdout)
		}
	}
	for _, w := range []string{path + ":5: email: ", path + ":6: phone: ", path + ":8: id: duplicate id"} {
		if !strings.Contains(run.stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, run.stderr)
		}
	}
}

func itoa(n int) string { return thousands(int64(n)) }

func TestImportSpreadsheetExportCSV(t *testing.T) {
	t.Parallel()
	dbURL, _ := tempDB(t)
	path := writeFile(t, "export.csv", exportCSV())

	run := runImport(t, dbURL, path)
	checkOutput(t, run, path, "line", 5, 0)
	if !strings.Contains(run.stdout, "CSV in UTF-8 (detected), 8 rows") {
		t.Errorf("stdout does not describe the file:\n%s", run.stdout)
	}
	checkStored(t, dbURL)

	// Again: the same rows are now updates.
	run = runImport(t, dbURL, path)
	checkOutput(t, run, path, "line", 0, 5)
	checkStored(t, dbURL)
}

func TestImportSpreadsheetExportGB18030(t *testing.T) {
	t.Parallel()
	// What Excel writes for "CSV" on a Chinese Windows: GBK, no BOM.
	text := strings.Join(exportLines, "\r\n") + "\r\n"
	data, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		desc string
	}{
		{"detected", nil, "CSV in GB18030 (detected)"},
		{"gbk", []string{"--encoding", "gbk"}, "CSV in GBK, 8 rows"},
		{"gb18030", []string{"--encoding=GB18030"}, "CSV in GB18030, 8 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbURL, _ := tempDB(t)
			path := writeFile(t, "export.csv", data)
			run := runImport(t, dbURL, append(tt.args, path)...)
			checkOutput(t, run, path, "line", 5, 0)
			if !strings.Contains(run.stdout, tt.desc) {
				t.Errorf("stdout does not say %q:\n%s", tt.desc, run.stdout)
			}
			checkStored(t, dbURL)
		})
	}
}

// exportWorkbook is exportLines as an Excel workbook in which the phones
// of some rows were typed as numbers: in a narrow column, with thousands
// separators, or as a landline that lost its leading zero.
func exportWorkbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "住户"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for i, line := range exportLines {
		for j, v := range strings.Split(line, ",") {
			if v == "" {
				continue
			}
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	numbers := []struct {
		cell   string
		v      int
		format string
	}{
		{"D2", 13800138000, "0.00E+00"}, // shown as 1.38E+10
		{"D3", 13912345678, "#,##0"},    // shown as 13,912,345,678
		{"D9", 75588888888, ""},         // 0755-8888 8888 stored as a number
		{"J7", 12, "0.0"},
	}
	for _, n := range numbers {
		if err := f.SetCellValue(sheet, n.cell, n.v); err != nil {
			t.Fatal(err)
		}
		if n.format == "" {
			continue
		}
		style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &n.format})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle(sheet, n.cell, n.cell, style); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportSpreadsheetExportXLSX(t *testing.T) {
	t.Parallel()
	dbURL, _ := tempDB(t)
	path := writeFile(t, "export.xlsx", exportWorkbook(t))
	// Flags after the file work too.
	run := runImport(t, dbURL, path, "--sheet", "住户")
	checkOutput(t, run, path, "row", 5, 0)
	if !strings.Contains(run.stdout, `XLSX, sheet "住户", 8 rows`) {
		t.Errorf("stdout does not describe the workbook:\n%s", run.stdout)
	}
	checkStored(t, dbURL)
	if got := residentsIn(t, dbURL)["r-6"].Attributes["floor"]; got != "12" {
		t.Errorf("r-6 floor = %q, want 12", got)
	}
}

func TestImportExitStatus(t *testing.T) {
	t.Parallel()
	header := "id,name,phone\r\n"
	tests := []struct {
		name   string
		file   string // file name; "" for no file at all
		data   string
		args   []string
		status int
		stored []string // ids in the database afterwards
		says   string   // in stdout or stderr
	}{
		{name: "all good", file: "a.csv", data: header + "a1,张三,13800138000\r\na2,李四,13800138001\r\n",
			status: importAllGood, stored: []string{"a1", "a2"}, says: "2 imported: 2 added, 0 updated"},
		{name: "some bad", file: "a.csv", data: header + "a1,张三,13800138000\r\na2,李四,oops\r\n",
			status: importSomeBad, stored: []string{"a1"}, says: "1 rejected"},
		{name: "all bad", file: "a.csv", data: header + "a1,,13800138000\r\na2,李四,oops\r\n",
			status: importNothing, says: "nothing imported: every row was rejected"},
		{name: "header only", file: "a.csv", data: header,
			status: importNothing, says: "no data rows"},
		{name: "empty file", file: "a.csv", data: "",
			status: importNothing, says: "empty file"},
		{name: "no id column", file: "a.csv", data: "name,phone\r\n张三,13800138000\r\n",
			status: importNothing, says: `missing required column "id"`},
		{name: "no such file", file: "", status: importNothing, says: "no such file"},
		{name: "excel 97", file: "old.xls", data: "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
			status: importNothing, says: "Excel 97-2003"},
		{name: "unknown encoding", file: "a.csv", data: header, args: []string{"--encoding", "latin1"},
			status: importNothing, says: "unknown encoding"},
		{name: "sheet of a CSV", file: "a.csv", data: header, args: []string{"--sheet", "x"},
			status: importNothing, says: "--sheet is for XLSX"},
		{name: "unknown flag", file: "a.csv", data: header, args: []string{"--force"},
			status: importNothing, says: "unknown flag --force"},
		{name: "region", file: "a.csv", data: header + "u1,Jane Doe,(415) 555-2671\r\n", args: []string{"--region", "US"},
			status: importAllGood, stored: []string{"u1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbURL, _ := tempDB(t)
			path := filepath.Join(t.TempDir(), "missing.csv")
			if tt.file != "" {
				path = writeFile(t, tt.file, []byte(tt.data))
			}
			run := runImport(t, dbURL, append(tt.args, path)...)
			if run.status != tt.status {
				t.Errorf("exit status %d, want %d\n%s%s", run.status, tt.status, run.stdout, run.stderr)
			}
			if !strings.Contains(run.stdout+run.stderr, tt.says) {
				t.Errorf("output does not say %q:\n%s%s", tt.says, run.stdout, run.stderr)
			}
			var ids []string
			if tt.status != importNothing {
				for id := range residentsIn(t, dbURL) {
					ids = append(ids, id)
				}
			}
			if slices.Sort(ids); !slices.Equal(ids, tt.stored) {
				t.Errorf("stored %v, want %v", ids, tt.stored)
			}
		})
	}
}

func TestImportStoreUnreachable(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "a.csv", exportCSV())
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")
	run := runImport(t, dbURL, path)
	if run.status != importNothing || !strings.Contains(run.stdout, "nothing imported: 5 good rows not written") {
		t.Errorf("exit status %d, want %d and the rows not written:\n%s%s", run.status, importNothing, run.stdout, run.stderr)
	}
}

func TestImportDryRun(t *testing.T) {
	t.Parallel()
	dbURL, dbPath := tempDB(t)
	path := writeFile(t, "export.csv", exportCSV())

	run := runImport(t, dbURL, "--dry-run", path)
	if run.status != importSomeBad || !strings.Contains(run.stdout, "5 good, not written (dry run)") {
		t.Errorf("dry run: exit status %d, want %d:\n%s%s", run.status, importSomeBad, run.stdout, run.stderr)
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Errorf("a dry run touched the database: %v", err)
	}

	// On a database with residents, a dry run of other values changes
	// nothing.
	if run := runImport(t, dbURL, path); run.status != importSomeBad {
		t.Fatalf("import: exit status %d\n%s%s", run.status, run.stdout, run.stderr)
	}
	before := residentsIn(t, dbURL)
	changed := strings.ReplaceAll(string(exportCSV()), "张伟", "张伟伟")
	run = runImport(t, dbURL, writeFile(t, "changed.csv", []byte(changed)), "--dry-run")
	if run.status != importSomeBad {
		t.Errorf("dry run: exit status %d\n%s%s", run.status, run.stdout, run.stderr)
	}
	if after := residentsIn(t, dbURL); !reflect.DeepEqual(after, before) {
		t.Errorf("the dry run changed the residents:\n got %+v\nwant %+v", after, before)
	}
	// A dry run of a file with only good rows exits 0.
	good := writeFile(t, "good.csv", []byte("id,name,phone\nok1,张三,13800138000\n"))
	if run := runImport(t, dbURL, "--dry-run", good); run.status != importAllGood {
		t.Errorf("dry run of good rows: exit status %d\n%s%s", run.status, run.stdout, run.stderr)
	}
}
