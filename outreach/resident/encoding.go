package resident

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding is the character encoding of a CSV file.
type Encoding string

// The encodings ParseCSV reads. GB18030 is a superset of GBK and GB2312,
// which is what Excel writes for "CSV" on a Chinese Windows.
const (
	// EncodingAuto detects the encoding: a byte order mark wins; otherwise
	// UTF-8 when the text is valid UTF-8, else GB18030 when it reads as
	// GB18030, else UTF-8 (and the cells that are not UTF-8 are reported).
	EncodingAuto    Encoding = ""
	EncodingUTF8    Encoding = "utf-8"
	EncodingGB18030 Encoding = "gb18030"
	EncodingGBK     Encoding = "gbk"
	// EncodingUTF16 is what Excel writes for "Unicode text": the byte order
	// mark says which end is first; little-endian when there is none.
	EncodingUTF16 Encoding = "utf-16"
)

// ParseEncoding reads an encoding name as people write it: "utf-8", "UTF8",
// "gb18030", "GBK", "cp936", "gb2312", "utf-16", or "auto" and "" for
// EncodingAuto.
func ParseEncoding(name string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "auto":
		return EncodingAuto, nil
	case "utf-8", "utf8":
		return EncodingUTF8, nil
	case "gb18030":
		return EncodingGB18030, nil
	case "gbk", "cp936", "gb2312":
		return EncodingGBK, nil
	case "utf-16", "utf16":
		return EncodingUTF16, nil
	}
	return "", fmt.Errorf("unknown encoding %q: want utf-8, gb18030, gbk, utf-16 or auto", name)
}

// String is the encoding's usual name ("GB18030"), "auto" for EncodingAuto.
func (e Encoding) String() string {
	if e == EncodingAuto {
		return "auto"
	}
	return strings.ToUpper(string(e))
}

// sniffSize is how much text past the first non-ASCII byte decides the
// encoding, and the size of the read buffer.
const sniffSize = 64 << 10

// textReader turns the bytes of a file into UTF-8 text without holding the
// file in memory. A byte order mark or a chosen encoding fixes the decoder
// at once. Otherwise ASCII passes through as is (it reads the same in every
// supported encoding) and the decoder is chosen at the first non-ASCII
// byte, on the sniffSize bytes from there: so a file whose first thousand
// rows are ASCII is still judged by its Chinese names, not by its header.
type textReader struct {
	raw *bufio.Reader
	enc Encoding  // EncodingAuto until decided
	out io.Reader // the decoded text, nil until decided
}

// newTextReader reads r in enc; see textReader and EncodingAuto.
func newTextReader(r io.Reader, enc Encoding) (*textReader, error) {
	t := &textReader{raw: bufio.NewReaderSize(r, sniffSize)}
	head, err := t.raw.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read residents: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		t.raw.Discard(3) // cannot fail: the bytes are buffered
		t.use(EncodingUTF8)
	case bytes.HasPrefix(head, []byte("\xFF\xFE")), bytes.HasPrefix(head, []byte("\xFE\xFF")):
		t.use(EncodingUTF16)
	case enc != EncodingAuto:
		t.use(enc)
	}
	return t, nil
}

// use fixes the decoder.
func (t *textReader) use(enc Encoding) {
	t.enc = enc
	switch enc {
	case EncodingGB18030:
		t.out = transform.NewReader(t.raw, simplifiedchinese.GB18030.NewDecoder())
	case EncodingGBK:
		t.out = transform.NewReader(t.raw, simplifiedchinese.GBK.NewDecoder())
	case EncodingUTF16:
		// UseBOM reads and drops the mark, and picks the byte order by it.
		t.out = transform.NewReader(t.raw, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	default:
		t.out = t.raw
	}
}

// Encoding is the encoding in use: UTF-8 while only ASCII has been read.
func (t *textReader) Encoding() Encoding {
	if t.enc == EncodingAuto {
		return EncodingUTF8
	}
	return t.enc
}

func (t *textReader) Read(p []byte) (int, error) {
	if t.out != nil {
		return t.out.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Look at what is buffered, and fill the buffer only when it is empty:
	// peeking a full window on every call would slide the buffer each time.
	buf, _ := t.raw.Peek(t.raw.Buffered())
	var err error
	if len(buf) == 0 {
		buf, err = t.raw.Peek(sniffSize)
	}
	i := firstNonASCII(buf)
	switch {
	case i == 0:
		window, err := t.raw.Peek(sniffSize)
		t.use(sniff(window, err != nil))
		return t.out.Read(p)
	case i < 0 && len(buf) == 0:
		return 0, err // io.EOF, or why the read failed
	case i < 0:
		i = len(buf)
	}
	n := copy(p, buf[:i])
	t.raw.Discard(n)
	return n, nil
}

// firstNonASCII is the index of the first byte of b above 0x7F, or -1.
func firstNonASCII(b []byte) int {
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// sniff picks the encoding of text that starts with a non-ASCII byte;
// atEOF says whether text runs to the end of the file, or may end in the
// middle of a character.
func sniff(text []byte, atEOF bool) Encoding {
	switch {
	case validUTF8(text, atEOF):
		return EncodingUTF8
	case validGB18030(text, atEOF):
		return EncodingGB18030
	}
	// Neither: read as UTF-8 so that each bad cell is reported by line.
	return EncodingUTF8
}

// validUTF8 reports whether text is UTF-8, allowing a character cut off at
// the end unless atEOF.
func validUTF8(text []byte, atEOF bool) bool {
	if !atEOF {
		for i := len(text) - 1; i >= 0 && i >= len(text)-utf8.UTFMax; i-- {
			if utf8.RuneStart(text[i]) {
				if !utf8.FullRune(text[i:]) {
					text = text[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(text)
}

// gb18030FFFD is U+FFFD in GB18030: the decoder writes U+FFFD for bytes it
// cannot read, so a U+FFFD in its output is an error unless the text
// really holds one.
var gb18030FFFD = []byte{0x84, 0x31, 0xA4, 0x37}

// validGB18030 reports whether text is GB18030, allowing a character cut
// off at the end unless atEOF.
func validGB18030(text []byte, atEOF bool) bool {
	// At most 3 bytes of UTF-8 per byte of GB18030 (one byte: ASCII; two:
	// the BMP; four: up to 4 bytes of UTF-8).
	dst := make([]byte, 3*len(text)+utf8.UTFMax)
	n, _, err := simplifiedchinese.GB18030.NewDecoder().Transform(dst, text, atEOF)
	if err != nil && !(errors.Is(err, transform.ErrShortSrc) && !atEOF) {
		return false
	}
	return !bytes.ContainsRune(dst[:n], utf8.RuneError) || bytes.Contains(text, gb18030FFFD)
}
