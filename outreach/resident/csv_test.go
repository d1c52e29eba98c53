package resident

import (
	"encoding/csv"
	"errors"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// csvFile joins lines with eol, optionally after a UTF-8 BOM.
func csvFile(bom bool, eol string, lines ...string) []byte {
	s := strings.Join(lines, eol) + eol
	if bom {
		s = "\uFEFF" + s
	}
	return []byte(s)
}

// wantErr is an expected row error: its line, its field and a piece of its
// message (or a sentinel it wraps).
type wantErr struct {
	line  int
	field string
	is    error
	text  string
}

func mustParse(t *testing.T, data []byte, opt Options) Result {
	t.Helper()
	res, err := ParseCSV(strings.NewReader(string(data)), opt)
	if err != nil {
		t.Fatalf("ParseCSV: %v", err)
	}
	return res
}

func checkErrors(t *testing.T, got []RowError, want []wantErr) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d row errors, want %d:", len(got), len(want))
		for _, e := range got {
			t.Errorf("  %v", e)
		}
		return
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.line || g.Field != w.field {
			t.Errorf("error %d = %q: line %d field %q, want line %d field %q", i, g, g.Line, g.Field, w.line, w.field)
		}
		if w.is != nil && !errors.Is(g, w.is) {
			t.Errorf("error %d = %q does not wrap %v", i, g, w.is)
		}
		if !strings.Contains(g.Error(), w.text) {
			t.Errorf("error %d = %q does not say %q", i, g, w.text)
		}
	}
}

func ids(rs []outreach.Resident) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func TestParseCSVRealisticFile(t *testing.T) {
	t.Parallel()
	data := csvFile(true, "\r\n",
		"ID, Name ,Email,phone,locale,building,unit,tags,channels,floor,move_in_date",                         // 1
		"r-1,张伟,zhang.wei@example.com,138 0013 8000,zh_CN,1,101,elderly； new_resident,SMS;email,1,2009-05-01", // 2
		"r-2, 李娜 ,,+86 139-1234-5678,,2,502,,,,",                                                              // 3
		"r-3,王芳,wang.fang@example,13800138000,zh-CN,2,503,,,,",                                                // 4 bad email
		"r-4,赵强,,12345,zh-CN,2,504,,,,",                                                                       // 5 bad phone
		"r-5,,nobody@example.com,,en,2,505,,,,",                                                               // 6 no name
		"r-1,张伟,zhang.wei2@example.com,,zh-CN,1,101,,,,",                                                      // 7 duplicate id
		"r-6,孙丽,sun.li@example.com,,en,3,303,,fax;email,,",                                                    // 8 unknown channel
		"r-7,周杰,zhou@example.com,13900001111",                                                                 // 9 field count
		"", // 10 empty line
		"r-8,Emily Carter,emily@example.com,(0755) 8888 8888,en-GB,3,1203,,email,12,2025-10-01", // 11
		"r-9,钱多多,,,zh-CN,3,305,,,,",                          // 12 no contact
		"r-10,郑爽,zheng@example.com,,Chinese,3,306,,,,",       // 13 bad locale
		"r-11,吴刚,,+44 7911 123456,,3,307,new_resident,sms,,", // 14
		",,,,,,,,,,", // 15 spreadsheet filler
	)
	res := mustParse(t, data, Options{})

	want := []outreach.Resident{
		{
			ID: "r-1", Name: "张伟", Email: "zhang.wei@example.com", Phone: "+8613800138000",
			Locale: "zh-CN", Building: "1", Unit: "101",
			Tags:       []string{"elderly", "new_resident"},
			Channels:   []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail},
			Attributes: map[string]string{"floor": "1", "move_in_date": "2009-05-01"},
		},
		{ID: "r-2", Name: "李娜", Phone: "+8613912345678", Locale: "zh-CN", Building: "2", Unit: "502"},
		{
			ID: "r-8", Name: "Emily Carter", Email: "emily@example.com", Phone: "+8675588888888",
			Locale: "en-GB", Building: "3", Unit: "1203",
			Channels:   []outreach.Channel{outreach.ChannelEmail},
			Attributes: map[string]string{"floor": "12", "move_in_date": "2025-10-01"},
		},
		{
			ID: "r-11", Name: "吴刚", Phone: "+447911123456", Locale: "zh-CN", Building: "3", Unit: "307",
			Tags: []string{"new_resident"}, Channels: []outreach.Channel{outreach.ChannelSMS},
		},
	}
	if !reflect.DeepEqual(res.Residents, want) {
		t.Errorf("residents:\n got %+v\nwant %+v", res.Residents, want)
	}
	checkErrors(t, res.Errors, []wantErr{
		{line: 4, field: "email", text: "not a valid email address"},
		{line: 5, field: "phone", is: ErrInvalidPhone},
		{line: 6, field: "name", is: ErrRequired},
		{line: 7, field: "id", is: ErrDuplicateID, text: "already used on line 2"},
		{line: 8, field: "channels", text: `"fax"`},
		{line: 9, field: "", is: ErrFieldCount, text: "the row has 4, the header 11"},
		{line: 12, field: "email/phone", is: ErrRequired},
		{line: 13, field: "locale", text: `"Chinese"`},
	})
	if res.Rows != 12 {
		t.Errorf("Rows = %d, want 12 (lines 2-9 and 11-14)", res.Rows)
	}

	// Errors get logged: they must not carry the contacts of the file.
	for _, e := range res.Errors {
		for _, pii := range []string{"wang.fang@example", "12345", "nobody@example.com", "zhang.wei2"} {
			if strings.Contains(e.Error(), pii) {
				t.Errorf("error %q contains %q", e, pii)
			}
		}
	}
}

func TestParseCSVLFWithoutBOM(t *testing.T) {
	t.Parallel()
	data := csvFile(false, "\n",
		"name,id,phone", // columns in any order, optional ones left out
		"Li Lei,a1,13800138000",
		"韩梅梅,a2,bad",
	)
	res := mustParse(t, data, Options{DefaultLocale: "en"})
	want := []outreach.Resident{{ID: "a1", Name: "Li Lei", Phone: "+8613800138000", Locale: "en"}}
	if !reflect.DeepEqual(res.Residents, want) {
		t.Errorf("residents:\n got %+v\nwant %+v", res.Residents, want)
	}
	checkErrors(t, res.Errors, []wantErr{{line: 3, field: "phone", is: ErrInvalidPhone}})
}

func TestParseCSVDefaultRegion(t *testing.T) {
	t.Parallel()
	data := csvFile(false, "\n", "id,name,phone", "u1,Jane Doe,(415) 555-2671")
	res := mustParse(t, data, Options{DefaultRegion: "us"})
	if len(res.Residents) != 1 || res.Residents[0].Phone != "+14155552671" {
		t.Fatalf("residents = %+v, errors = %v; want one with phone +14155552671", res.Residents, res.Errors)
	}
}

func TestParseCSVMultilineField(t *testing.T) {
	t.Parallel()
	for _, eol := range []string{"\n", "\r\n"} {
		data := csvFile(false, eol,
			"id,name,phone,note",              // 1
			`m1,张三,13800138000,"ground floor`, // 2
			"gate code 1234",                  // 3
			`ask for ""Lao Zhang"""`,          // 4
			"m2,李四,,",                         // 5 no contact
			`m3,"王`,                           // 6
			`五",13800138001,`,                 // 7
			"m4,赵六,bad,",                      // 8 bad phone
		)
		res := mustParse(t, data, Options{})
		if got := ids(res.Residents); !slices.Equal(got, []string{"m1", "m3"}) {
			t.Fatalf("eol %q: residents %v, want [m1 m3]", eol, got)
		}
		note := "ground floor\ngate code 1234\nask for \"Lao Zhang\""
		if got := res.Residents[0].Attributes["note"]; got != note {
			t.Errorf("eol %q: note = %q, want %q", eol, got, note)
		}
		if got := res.Residents[1].Name; got != "王\n五" {
			t.Errorf("eol %q: name = %q, want %q", eol, got, "王\n五")
		}
		checkErrors(t, res.Errors, []wantErr{
			{line: 5, field: "email/phone", is: ErrRequired},
			{line: 8, field: "phone", is: ErrInvalidPhone},
		})
	}
}

func TestParseCSVBrokenQuoting(t *testing.T) {
	t.Parallel()
	data := csvFile(false, "\n",
		"id,name,phone",               // 1
		"q1,Bare \"Quote,13800138000", // 2 bare quote: this row only
		"q2,张三,13800138001",           // 3
		`q3,"李四" 老师,13800138002`,      // 4 text after a closing quote
		"q4,王五,13800138003",           // 5
		`q5,"赵六,13800138004`,          // 6 never closed: swallows the rest
		"q6,钱七,13800138005",           // 7
	)
	res := mustParse(t, data, Options{})
	if got := ids(res.Residents); !slices.Equal(got, []string{"q2", "q4"}) {
		t.Errorf("residents %v, want [q2 q4]", got)
	}
	checkErrors(t, res.Errors, []wantErr{
		{line: 2, is: csv.ErrBareQuote, text: "broken CSV quoting at column"},
		{line: 4, is: csv.ErrQuote, text: "broken CSV quoting"},
		{line: 6, is: csv.ErrQuote, text: "spans lines 6-7"},
	})
}

func TestParseCSVFieldCountAcrossLines(t *testing.T) {
	t.Parallel()
	// An unbalanced quote pairs with one on the next line: the row eats
	// that line and ends up with too many fields.
	data := csvFile(false, "\n",
		"id,name,phone,note",           // 1
		`f1,张三,13800138000,"5th floor`, // 2
		`f2 is lost",x`,                // 3
		"f3,王五,13800138002,",           // 4
	)
	res := mustParse(t, data, Options{})
	if got := ids(res.Residents); !slices.Equal(got, []string{"f3"}) {
		t.Errorf("residents %v, want [f3]", got)
	}
	checkErrors(t, res.Errors, []wantErr{
		{line: 2, is: ErrFieldCount, text: "the row spans lines 2-3: check for an unbalanced quote"},
	})
}

func TestParseCSVRowRules(t *testing.T) {
	t.Parallel()
	const header = "id,name,email,phone,locale,building,unit,tags,channels,Floor,,move_in_date"
	tests := []struct {
		name string
		row  string
		opt  Options
		want *outreach.Resident // nil when the row must fail
		errs []wantErr          // on line 2
	}{
		{
			name: "cells trimmed, lists split on every separator, channels lower-cased and deduplicated",
			row:  ` r1 , 陈 明 , chen@example.com , +86 138 0013 8000 , EN_gb , 2 , 2-804 ," elderly ;VIP，new_resident, ;elderly "," Email ；SMS,email ", 8 ,, 2018-07-09 `,
			want: &outreach.Resident{
				ID: "r1", Name: "陈 明", Email: "chen@example.com", Phone: "+8613800138000",
				Locale: "en-GB", Building: "2", Unit: "2-804",
				Tags:       []string{"elderly", "VIP", "new_resident"},
				Channels:   []outreach.Channel{outreach.ChannelEmail, outreach.ChannelSMS},
				Attributes: map[string]string{"Floor": "8", "move_in_date": "2018-07-09"},
			},
		},
		{
			name: "sms preferred without a phone is kept",
			row:  "r1,Anna,anna@example.com,,,,,,sms,,,",
			want: &outreach.Resident{
				ID: "r1", Name: "Anna", Email: "anna@example.com", Locale: "zh-CN",
				Channels: []outreach.Channel{outreach.ChannelSMS},
			},
		},
		{
			name: "every problem of a row is reported",
			row:  ",,not-an-email,123,xx-yy-zz,,,,pigeon;email;fax,,,",
			errs: []wantErr{
				{line: 2, field: "id", is: ErrRequired},
				{line: 2, field: "name", is: ErrRequired},
				{line: 2, field: "email"},
				{line: 2, field: "phone", is: ErrInvalidPhone},
				{line: 2, field: "locale"},
				{line: 2, field: "channels", text: `"pigeon"`},
				{line: 2, field: "channels", text: `"fax"`},
			},
		},
		{
			name: "value under an unnamed column",
			row:  "r1,Anna,anna@example.com,,,,,,,,oops,",
			errs: []wantErr{{line: 2, field: "column 11", text: "no name in the header"}},
		},
		{
			name: "cell not UTF-8 (a GBK export read as UTF-8)",
			row:  "r1,\xd5\xc5\xce\xb0,anna@example.com,,,,,,,\xb0\xcb,,",
			opt:  Options{Encoding: EncodingUTF8},
			errs: []wantErr{
				{line: 2, field: "name", is: ErrEncoding, text: "not valid UTF-8"},
				{line: 2, field: "Floor", is: ErrEncoding, text: "not valid UTF-8"},
			},
		},
		{
			name: "the same GBK row detected",
			row:  "r1,\xd5\xc5\xce\xb0,anna@example.com,,,,,,,\xb0\xcb,,",
			want: &outreach.Resident{
				ID: "r1", Name: "张伟", Email: "anna@example.com", Locale: "zh-CN",
				Attributes: map[string]string{"Floor": "八"},
			},
		},
		{
			name: "cell with bytes GB18030 cannot read",
			row:  "r1,\xd5\xc5\xff,anna@example.com,,,,,,,\xb0\xcb,,",
			opt:  Options{Encoding: EncodingGB18030},
			errs: []wantErr{
				{line: 2, field: "name", is: ErrEncoding, text: "U+FFFD"},
			},
		},
		{
			name: "too many fields",
			row:  "r1,Anna,anna@example.com,,,,,,,,,,extra",
			errs: []wantErr{{line: 2, is: ErrFieldCount, text: "the row has 13, the header 12"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustParse(t, csvFile(false, "\n", header, tt.row), tt.opt)
			checkErrors(t, res.Errors, tt.errs)
			switch {
			case tt.want == nil && len(res.Residents) > 0:
				t.Errorf("row kept as %+v, want it rejected", res.Residents[0])
			case tt.want != nil && !reflect.DeepEqual(res.Residents, []outreach.Resident{*tt.want}):
				t.Errorf("residents:\n got %+v\nwant %+v", res.Residents, *tt.want)
			}
			if res.Rows != 1 {
				t.Errorf("Rows = %d, want 1", res.Rows)
			}
		})
	}
}

func TestParseCSVDuplicateIDOfBadRow(t *testing.T) {
	t.Parallel()
	data := csvFile(false, "\n",
		"id,name,phone",
		"d1,,13800138000", // rejected, but it takes the id
		"d1,张三,13800138001",
		"d2,李四,13800138002",
		"d2,李四,13800138002",
	)
	res := mustParse(t, data, Options{})
	if got := ids(res.Residents); !slices.Equal(got, []string{"d2"}) {
		t.Errorf("residents %v, want [d2]", got)
	}
	checkErrors(t, res.Errors, []wantErr{
		{line: 2, field: "name", is: ErrRequired},
		{line: 3, field: "id", is: ErrDuplicateID, text: "line 2"},
		{line: 5, field: "id", is: ErrDuplicateID, text: "line 4"},
	})
	if res.Errors[1].ID != "d1" {
		t.Errorf("RowError.ID = %q, want d1", res.Errors[1].ID)
	}
}

func TestParseCSVFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		opt  Options
		is   error  // nil: any error
		text string // a piece of the message
	}{
		{name: "empty", data: "", is: ErrEmptyFile},
		{name: "BOM only", data: "\uFEFF", is: ErrEmptyFile},
		{name: "blank lines only", data: "\r\n\n\r\n", is: ErrEmptyFile},
		{name: "no name column", data: "id,email,phone\nr1,a@example.com,\n", is: ErrHeader, text: `"name"`},
		{name: "no id column", data: "\uFEFFName,Email\nAnna,a@example.com\n", is: ErrHeader, text: `"id"`},
		{name: "data row as header", data: "r1,张三,13800138000\n", is: ErrHeader},
		{name: "no contact column", data: "id,name,building\nr1,Anna,3\n", is: ErrHeader, text: "email or phone"},
		{name: "column twice", data: "id,name,Phone,phone\n", is: ErrHeader, text: "columns 3 and 4"},
		{name: "header not UTF-8", data: "id,name,phone,\xc2\xa5\xb7\n", is: ErrHeader, text: "UTF-8"},
		{name: "unknown encoding", data: "id,name,phone\n", opt: Options{Encoding: "latin-1"}, text: "Encoding"},
		{name: "broken header quoting", data: "id,\"name,phone\n", is: csv.ErrQuote},
		{name: "unknown region", data: "id,name,phone\n", opt: Options{DefaultRegion: "XX"}, text: "DefaultRegion"},
		{name: "bad default locale", data: "id,name,phone\n", opt: Options{DefaultLocale: "Chinese"}, text: "DefaultLocale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := ParseCSV(strings.NewReader(tt.data), tt.opt)
			if err == nil {
				t.Fatalf("ParseCSV = %+v, want an error", res)
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

func TestParseCSVHeaderOnly(t *testing.T) {
	t.Parallel()
	res := mustParse(t, []byte("id,name,email\r\n"), Options{})
	if res.Rows != 0 || len(res.Residents) != 0 || len(res.Errors) != 0 {
		t.Errorf("ParseCSV = %+v, want nothing", res)
	}
}

func TestParseCSVSampleFile(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/residents.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := ParseCSV(f, Options{})
	if err != nil {
		t.Fatalf("ParseCSV: %v", err)
	}
	for _, e := range res.Errors {
		t.Errorf("sample file: %v", e)
	}
	if len(res.Residents) != 8 || res.Rows != 8 {
		t.Fatalf("got %d residents from %d rows, want 8 from 8", len(res.Residents), res.Rows)
	}
	byID := make(map[string]outreach.Resident)
	for _, r := range res.Residents {
		byID[r.ID] = r
	}
	checks := []struct {
		id                   string
		name, phone, locale  string
		elderly, newResident bool
	}{
		{"r-1001", "张伟", "+8613800138000", "zh-CN", true, false},
		{"r-1003", "王秀英", "+8613700001234", "zh-CN", true, false},
		{"r-1004", "Emily Carter", "+447911123456", "en-GB", false, true},
		{"r-1006", "David Miller", "+8675588888888", "en", false, false},
		{"r-1007", "刘芳", "+8613612345678", "zh-CN", true, true},
		{"r-1008", `Zhou "Jack" Jie`, "+8615012345678", "en", false, false},
	}
	for _, c := range checks {
		r := byID[c.id]
		if r.Name != c.name || r.Phone != c.phone || r.Locale != c.locale ||
			r.HasTag("elderly") != c.elderly || r.HasTag("new_resident") != c.newResident {
			t.Errorf("%s = %+v, want name %q phone %q locale %q elderly %v new_resident %v",
				c.id, r, c.name, c.phone, c.locale, c.elderly, c.newResident)
		}
	}
	if got := slices.Sorted(maps.Keys(byID["r-1002"].Attributes)); !slices.Equal(got, []string{"floor", "move_in_date"}) {
		t.Errorf("r-1002 attributes %v, want floor and move_in_date", got)
	}
	buildings := make(map[string]int)
	for _, r := range res.Residents {
		buildings[r.Building]++
	}
	if len(buildings) != 3 {
		t.Errorf("buildings %v, want 1, 2 and 3", buildings)
	}
}

func TestRowErrorFormat(t *testing.T) {
	t.Parallel()
	err := RowError{Line: 7, ID: "r1", Field: "phone", Err: ErrInvalidPhone}
	if got, want := err.Error(), "line 7: phone: invalid phone number"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalidPhone) {
		t.Error("RowError does not unwrap to its Err")
	}
	whole := RowError{Line: 3, Err: ErrFieldCount}
	if got, want := whole.Error(), "line 3: wrong number of fields"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
