package resident

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/outreach-dev/outreach/outreach"
)

// encode writes s in enc; the test fails if s cannot be written in it.
func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func TestParseEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Encoding
		err  bool
	}{
		{"", EncodingAuto, false},
		{"auto", EncodingAuto, false},
		{"UTF-8", EncodingUTF8, false},
		{"utf8", EncodingUTF8, false},
		{" gb18030 ", EncodingGB18030, false},
		{"GBK", EncodingGBK, false},
		{"cp936", EncodingGBK, false},
		{"gb2312", EncodingGBK, false},
		{"UTF-16", EncodingUTF16, false},
		{"latin1", "", true},
		{"big5", "", true},
	}
	for _, tt := range tests {
		got, err := ParseEncoding(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseEncoding(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestTextReader(t *testing.T) {
	t.Parallel()
	const text = "id,name\r\nr1,张伟\r\nr2,Émile 李娜 😀\r\n"
	const chinese = "id,name\r\nr1,张伟\r\nr2,李娜\r\n" // no characters outside GBK
	tests := []struct {
		name   string
		file   []byte
		choose Encoding
		want   string
		enc    Encoding
	}{
		{"UTF-8", []byte(text), EncodingAuto, text, EncodingUTF8},
		{"UTF-8 with BOM", []byte("\uFEFF" + text), EncodingAuto, text, EncodingUTF8},
		{"ASCII only", []byte("id,name\nr1,Li Lei\n"), EncodingAuto, "id,name\nr1,Li Lei\n", EncodingUTF8},
		{"empty", nil, EncodingAuto, "", EncodingUTF8},
		{"GB18030", encode(t, simplifiedchinese.GB18030, text), EncodingAuto, text, EncodingGB18030},
		{"GBK read as GB18030", encode(t, simplifiedchinese.GBK, chinese), EncodingAuto, chinese, EncodingGB18030},
		{"GBK chosen", encode(t, simplifiedchinese.GBK, chinese), EncodingGBK, chinese, EncodingGBK},
		{"GB18030 chosen", encode(t, simplifiedchinese.GB18030, text), EncodingGB18030, text, EncodingGB18030},
		{"UTF-8 chosen", []byte(text), EncodingUTF8, text, EncodingUTF8},
		{"UTF-16LE with BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), text), EncodingAuto, text, EncodingUTF16},
		{"UTF-16BE with BOM", encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), text), EncodingAuto, text, EncodingUTF16},
		{"UTF-16LE chosen, no BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), text), EncodingUTF16, text, EncodingUTF16},
		{"a BOM wins over the choice", []byte("\uFEFF" + text), EncodingGB18030, text, EncodingUTF8},
		{
			// Neither UTF-8 nor GB18030: passed through as is, so that
			// the rows report "not valid UTF-8" by line.
			"neither", []byte("id,name\nr1,\xff\xfe\xfd\n"), EncodingAuto, "id,name\nr1,\xff\xfe\xfd\n", EncodingUTF8,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// One byte at a time on both sides: the slowest reader and
			// the smallest reads must give the same text.
			tr, err := newTextReader(iotest.OneByteReader(bytes.NewReader(tt.file)), tt.choose)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(iotest.OneByteReader(tr))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if tr.Encoding() != tt.enc {
				t.Errorf("Encoding() = %v, want %v", tr.Encoding(), tt.enc)
			}
			// And the io.Reader contract, with large reads.
			tr, err = newTextReader(bytes.NewReader(tt.file), tt.choose)
			if err != nil {
				t.Fatal(err)
			}
			if err := iotest.TestReader(tr, []byte(tt.want)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestTextReaderDecidesLate: a long ASCII stretch before the first Chinese
// name (a header and many rows of English names) must not make a GB18030
// file pass for UTF-8.
func TestTextReaderDecidesLate(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("id,name,phone\r\n")
	for i := 0; b.Len() < 3*sniffSize; i++ {
		b.WriteString("r1,Li Lei,13800138000\r\n")
	}
	b.WriteString("r2,韩梅梅,13800138001\r\n")
	text := b.String()
	tr, err := newTextReader(bytes.NewReader(encode(t, simplifiedchinese.GB18030, text)), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != text || tr.Encoding() != EncodingGB18030 {
		t.Errorf("read %d bytes in %v, want the %d bytes of the text in GB18030", len(got), tr.Encoding(), len(text))
	}
}

// TestSniffWindowCutsACharacter: the window that decides ends in the middle
// of a character; that must not count against the encoding.
func TestSniffWindowCutsACharacter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		enc  encoding.Encoding
		want Encoding
		unit string // a character of 2 or 3 bytes in enc
	}{
		{"UTF-8", encoding.Nop, EncodingUTF8, "张"},                   // 3 bytes
		{"GB18030", simplifiedchinese.GB18030, EncodingGB18030, "张"}, // 2 bytes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			unit := encode(t, tt.enc, tt.unit)
			// Start with one non-ASCII character, pad with ASCII so that
			// the next character straddles the end of the window.
			file := slices.Concat(unit, bytes.Repeat([]byte("a"), sniffSize-len(unit)-1), unit, []byte("\n"))
			if len(unit)+(sniffSize-len(unit)-1) != sniffSize-1 {
				t.Fatal("bad test")
			}
			tr, err := newTextReader(bytes.NewReader(file), EncodingAuto)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Encoding() != tt.want {
				t.Errorf("Encoding() = %v, want %v", tr.Encoding(), tt.want)
			}
			want := tt.unit + strings.Repeat("a", sniffSize-len(unit)-1) + tt.unit + "\n"
			if string(got) != want {
				t.Errorf("text differs from the file (%d bytes read)", len(got))
			}
		})
	}
}

func TestTextReaderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	for _, enc := range []Encoding{EncodingAuto, EncodingGB18030} {
		r := io.MultiReader(strings.NewReader("id,name\n"), iotest.ErrReader(boom))
		tr, err := newTextReader(r, enc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(tr); !errors.Is(err, boom) {
			t.Errorf("%v: ReadAll error = %v, want %v", enc, err, boom)
		}
		_, err = ParseCSV(io.MultiReader(strings.NewReader("id,name,phone\nr1,张三,13800138000\n"), iotest.ErrReader(boom)), Options{Encoding: enc})
		if !errors.Is(err, boom) {
			t.Errorf("%v: ParseCSV error = %v, want %v", enc, err, boom)
		}
	}
}

// TestParseCSVExport reads the same spreadsheet export saved by Excel as
// "CSV UTF-8" (BOM, CRLF) and as plain "CSV" on a Chinese Windows (GBK, no
// BOM): the same residents and the same errors.
func TestParseCSVExport(t *testing.T) {
	t.Parallel()
	utf8File, err := os.ReadFile("testdata/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	gbkFile, err := os.ReadFile("testdata/export-gbk.csv")
	if err != nil {
		t.Fatal(err)
	}
	// The two samples must stay the same text.
	if want := encode(t, simplifiedchinese.GBK, strings.TrimPrefix(string(utf8File), "\uFEFF")); !bytes.Equal(gbkFile, want) {
		t.Fatal("testdata/export-gbk.csv is not testdata/export.csv in GBK: regenerate it with iconv -t GBK")
	}

	byFile := make(map[string]Result)
	for _, f := range []struct {
		name string
		data []byte
		opt  Options
		enc  Encoding
	}{
		{"utf-8", utf8File, Options{}, EncodingUTF8},
		{"gbk detected", gbkFile, Options{}, EncodingGB18030},
		{"gbk chosen", gbkFile, Options{Encoding: "GBK"}, EncodingGBK},
	} {
		res := mustParse(t, f.data, f.opt)
		if res.Encoding != f.enc {
			t.Errorf("%s: Encoding = %v, want %v", f.name, res.Encoding, f.enc)
		}
		res.Encoding = ""
		byFile[f.name] = res
	}
	res := byFile["utf-8"]
	for name, other := range byFile {
		if !reflect.DeepEqual(other, res) {
			t.Errorf("%s reads differently from utf-8:\n got %+v\nwant %+v", name, other, res)
		}
	}

	if got, want := ids(res.Residents), []string{"r-2001", "r-2002", "r-2003", "r-2006", "r-2009", "r-2010"}; !slices.Equal(got, want) {
		t.Errorf("residents %v, want %v", got, want)
	}
	phones := make(map[string]string)
	for _, r := range res.Residents {
		phones[r.ID] = r.Phone
	}
	wantPhones := map[string]string{
		"r-2001": "+8613800138000", "r-2002": "+8613912345678", "r-2003": "+861065529988",
		"r-2006": "+447911123456", "r-2009": "+8675588888888", "r-2010": "+8618612345678",
	}
	if !reflect.DeepEqual(phones, wantPhones) {
		t.Errorf("phones %v, want %v", phones, wantPhones)
	}
	if r := res.Residents[0]; r.Name != "张伟" || !slices.Equal(r.Channels, []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail}) {
		t.Errorf("first resident %+v, want 张伟 on sms then email", r)
	}
	checkErrors(t, res.Errors, []wantErr{
		{line: 5, field: "email", is: ErrInvalidEmail},
		{line: 6, field: "phone", is: ErrInvalidPhone},
		{line: 8, field: "channels", is: ErrUnknownChannel, text: `"wechat"`},
		{line: 9, field: "id", is: ErrDuplicateID, text: "line 3"},
		{line: 10, field: "phone", is: ErrInvalidPhone, text: "scientific notation"},
	})
	if res.Rows != 11 {
		t.Errorf("Rows = %d, want 11", res.Rows)
	}
}

func TestParseCSVDelimiters(t *testing.T) {
	t.Parallel()
	want := []outreach.Resident{{ID: "r1", Name: "张伟", Phone: "+8613800138000", Locale: "zh-CN", Tags: []string{"elderly", "vip"}}}
	tests := []struct {
		name  string
		file  []byte
		delim rune
		enc   Encoding
	}{
		{"comma", []byte("id,name,phone,tags\nr1,张伟,138 0013 8000,elderly;vip\n"), ',', EncodingUTF8},
		{"semicolon", []byte("id;name;phone;tags\nr1;张伟;138 0013 8000;\"elderly;vip\"\n"), ';', EncodingUTF8},
		{
			// Excel's "Unicode text": UTF-16LE with a BOM, tabs, CRLF.
			"Unicode text",
			encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "id\tname\tphone\ttags\r\nr1\t张伟\t138 0013 8000\telderly,vip\r\n"),
			'\t', EncodingUTF16,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustParse(t, tt.file, Options{})
			if res.Delimiter != tt.delim || res.Encoding != tt.enc {
				t.Errorf("read as %q in %v, want %q in %v", res.Delimiter, res.Encoding, tt.delim, tt.enc)
			}
			if !reflect.DeepEqual(res.Residents, want) || len(res.Errors) > 0 {
				t.Errorf("residents %+v, errors %v; want %+v", res.Residents, res.Errors, want)
			}
		})
	}
}

func TestParseCSVProgress(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	var last, lastTotal int64
	_, err = ParseCSV(bytes.NewReader(data), Options{Progress: func(done, total int64) {
		calls++
		if done < last {
			t.Errorf("progress went back from %d to %d", last, done)
		}
		last, lastTotal = done, total
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != int64(len(data)) || lastTotal != int64(len(data)) {
		t.Errorf("%d calls, last (%d, %d); want the end at (%d, %d)", calls, last, lastTotal, len(data), len(data))
	}
}
