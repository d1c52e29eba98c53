package email

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"mime"
	"strings"
)

// The MIME writer: the few parts of RFC 2045-2047 and RFC 5322 that a
// notification needs, written in one pass into one buffer. It replaced
// go-mail's message builder, which cost about as much CPU as rendering
// the templates (BenchmarkCompose).

// encoding is a body's Content-Transfer-Encoding.
type encoding int

const (
	encodingQP  encoding = iota // quoted-printable
	encodingB64                 // base64
)

// maxLine is the longest line the writer makes (RFC 5322 2.1.1 and RFC
// 2045 6.7 ask for at most 78 and 76 characters).
const maxLine = 76

// mimeWriter builds a message's text, CRLF line ends throughout.
type mimeWriter struct{ bytes.Buffer }

// header writes "name: value", folded at spaces so that no line is longer
// than maxLine when the value allows it (a word longer than a line stays
// whole). value must be one line (see oneLine).
func (w *mimeWriter) header(name, value string) {
	w.WriteString(name)
	w.WriteString(":")
	col := len(name) + 1
	for value != "" {
		word := value
		rest := ""
		if i := strings.IndexByte(value, ' '); i >= 0 {
			word, rest = value[:i], value[i+1:]
		}
		// A word that does not fit goes on a line of its own, even the
		// first (RFC 5322 allows the fold right after the colon): an
		// encoded-word may be 75 characters long.
		if col+1+len(word) > maxLine && (col > len(name)+1 || 1+len(word) <= maxLine) {
			w.WriteString("\r\n")
			col = 0
		}
		w.WriteByte(' ')
		w.WriteString(word)
		col += 1 + len(word)
		value = rest
	}
	w.WriteString("\r\n")
}

// part writes one body part (or the body of a single-part message): its
// Content-Type (UTF-8) and Content-Transfer-Encoding, a blank line, and the
// body encoded, its line ends made CRLF, the last one included.
func (w *mimeWriter) part(enc encoding, mediaType, body string) {
	w.WriteString("Content-Type: ")
	w.WriteString(mediaType)
	w.WriteString("; charset=UTF-8\r\n")
	if enc == encodingB64 {
		w.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		w.base64(body)
		return
	}
	w.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	w.quotedPrintable(body)
}

// base64 writes body as base64 in lines of maxLine characters, after
// making its line ends CRLF (text's canonical form, RFC 2045 6.8).
func (w *mimeWriter) base64(body string) {
	src := crlf(body)
	n := base64.StdEncoding.EncodedLen(len(src))
	w.Grow(n + n/maxLine*2 + 2)
	var line [maxLine]byte
	const chunk = maxLine / 4 * 3 // input bytes of one full line
	for len(src) > 0 {
		k := min(chunk, len(src))
		m := base64.StdEncoding.EncodedLen(k)
		base64.StdEncoding.Encode(line[:m], src[:k])
		w.Write(line[:m])
		w.WriteString("\r\n")
		src = src[k:]
	}
}

// crlf returns s with every line end (LF, CRLF or a lone CR) as CRLF.
func crlf(s string) []byte {
	out := make([]byte, 0, len(s)+strings.Count(s, "\n")+8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

const upperHex = "0123456789ABCDEF"

// quotedPrintable writes body quoted-printable (RFC 2045 6.7): printable
// ASCII but "=" as it is, every other byte as =XX, a space or tab before a
// line end encoded too, line ends as CRLF, and lines longer than maxLine
// broken with a soft line break ("=" at the end) that never splits an =XX.
// The last line ends in CRLF too.
func (w *mimeWriter) quotedPrintable(body string) {
	w.Grow(len(body) + len(body)/8)
	for len(body) > 0 {
		line := body
		body = ""
		if i := lineEnd(line); i >= 0 {
			end := i + 1
			if line[i] == '\r' && end < len(line) && line[end] == '\n' {
				end++
			}
			line, body = line[:i], line[end:]
		}
		w.qpLine(line)
		w.WriteString("\r\n")
	}
}

// lineEnd is the index of the first CR or LF in s, or -1.
func lineEnd(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return i
		}
	}
	return -1
}

// qpLine writes one line of quotedPrintable, without its line end: runs
// of plain characters are copied as they are.
func (w *mimeWriter) qpLine(line string) {
	col := 0
	last := len(line) - 1
	for i := 0; i < len(line); {
		// The run of plain characters from i that fits on this line; room
		// is kept for a soft break's "=" unless the run ends the line.
		j := i
		for j < len(line) && col+(j-i) < maxLine-1 && qpPlain(line[j], j == last) {
			j++
		}
		if j == last && col+(j-i) == maxLine-1 && qpPlain(line[j], true) {
			j++ // the line's last character may take the last column
		}
		if j > i {
			w.WriteString(line[i:j])
			col += j - i
			i = j
			continue
		}
		c := line[i]
		width := 3
		if qpPlain(c, i == last) {
			width = 1
		}
		if col+width > maxLine-1 && (i < last || col+width > maxLine) {
			w.WriteString("=\r\n")
			col = 0
			continue
		}
		w.Write([]byte{'=', upperHex[c>>4], upperHex[c&0x0f]})
		col += 3
		i++
	}
}

// qpPlain reports whether c stands for itself in quoted-printable: printable
// ASCII but "=", and a space or tab that does not end the line.
func qpPlain(c byte, endsLine bool) bool {
	return (c >= '!' && c <= '~' && c != '=') || ((c == ' ' || c == '\t') && !endsLine)
}

// encodeWord writes a header value as it is when it is printable ASCII,
// else as RFC 2047 encoded-words (base64 for mostly non-ASCII text, like
// the bodies, else Q), which header folds between.
func encodeWord(b64 bool, s string) string {
	if b64 {
		return mime.BEncoding.Encode("UTF-8", s)
	}
	return mime.QEncoding.Encode("UTF-8", s)
}

// newBoundary is a random multipart boundary: 32 hex digits after "=_",
// which no quoted-printable or base64 text contains (in quoted-printable
// "=" starts an =XX escape or a soft line break; in base64 it is padding
// at the end), so the boundary can never occur in a part.
// It is written into b, and returned as a slice of it.
func newBoundary(b *[boundaryLen]byte) []byte {
	var r [16]byte
	_, _ = rand.Read(r[:]) // never fails (crypto/rand)
	b[0], b[1] = '=', '_'
	hex.Encode(b[2:], r[:])
	return b[:]
}

const boundaryLen = 2 + 32
