package email

import (
	"bufio"
	"net/textproto"
	"strings"
)

// readReply reads one SMTP reply (RFC 5321 4.2: lines of a three-digit
// code, "-" on all but the last, then text) from r and checks its code
// against want the way textproto.Reader.ReadResponse does: want 354
// accepts only 354, want 25 any 25x, want 2 any 2xx. It is ReadResponse
// without its allocations: a reply that is wanted is read and dropped in
// place (the text of a 250 says nothing we use). Only an unwanted reply
// is copied out, as the *textproto.Error that ReadResponse would return
// (classify reads it), its lines joined by "\n"; a malformed line is a
// textproto.ProtocolError.
func readReply(r *bufio.Reader, want int) error {
	line, err := readLine(r)
	if err != nil {
		return err
	}
	code, ok := replyCode(line)
	if !ok {
		return textproto.ProtocolError("invalid response: " + string(line))
	}
	wanted := codeWanted(code, want)
	var msg []string // the lines' text, kept only when the code is unwanted
	if !wanted {
		msg = append(msg, string(line[4:]))
	}
	for more := line[3] == '-'; more; {
		if line, err = readLine(r); err != nil {
			return err
		}
		text := line
		// As in ReadResponse, a continuation line without the reply's
		// code (RFC 959's other form) is text, and the reply goes on.
		if c, ok := replyCode(line); ok && c == code {
			text, more = line[4:], line[3] == '-'
		}
		if !wanted {
			msg = append(msg, string(text))
		}
	}
	if !wanted {
		return &textproto.Error{Code: code, Msg: strings.Join(msg, "\n")}
	}
	return nil
}

// readLine is the next line of r without its line end (CRLF or LF), valid
// until the next read. A line longer than r's buffer is an error: replies
// are short (RFC 5321 4.5.3.1.5: 512 octets).
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, textproto.ProtocolError("reply line too long")
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// replyCode parses the code that starts a reply line: three digits, the
// first not 0 (textproto takes 100-999), then " " (the last line) or "-" (more follow).
func replyCode(line []byte) (int, bool) {
	if len(line) < 4 || (line[3] != ' ' && line[3] != '-') ||
		line[0] < '1' || line[0] > '9' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' {
		return 0, false
	}
	return int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0'), true
}

// codeWanted is ReadResponse's test of code against expectCode: a one-,
// two- or three-digit prefix of it.
func codeWanted(code, want int) bool {
	switch {
	case want < 10:
		return code/100 == want
	case want < 100:
		return code/10 == want
	}
	return code == want
}
