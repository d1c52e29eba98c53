package email

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// transact sends msg in one SMTP transaction on sc: MAIL, RCPT (one per
// recipient), DATA and the message. It differs from go-mail's Client.Send
// in ways that save round trips and writes, the daemon's bottleneck:
//
//   - With PIPELINING (RFC 2920, offered by Postfix, Exim, and most
//     relays) MAIL, RCPT and DATA go in one write and their replies are read
//     together: two round trips a message instead of four.
//   - Across messages: when another Send waits for a connection (c.claim
//     finds one), its MAIL, RCPT and DATA go in the same write as this
//     message's text, after the final "." (RFC 2920 section 3.1 allows the
//     message content to start a group); this message's reply is read, and
//     the slot goes to that Send with its envelope on the wire (c.next,
//     c.pending). In a busy pool a message then costs one write and one read.
//   - No RSET after a message the server took: a completed DATA ends the
//     transaction (RFC 5321 4.1.1.4). After a refusal the transaction is
//     still open, so RSET is sent then; if that fails the connection is
//     dropped.
//
// When c.pending, msg's envelope was written by the message before it:
// transact then reads its replies only. A refusal is returned as the
// server's *textproto.Error (see classify); any other error leaves the
// connection in an unknown state.
func (c *conn) transact(sc *smtp.Client, msg *Msg, timeout time.Duration) error {
	pending := c.pending
	c.pending = false
	if err := sc.UpdateDeadline(timeout); err != nil {
		return err
	}
	var refused error
	if pending {
		var err error
		if refused, err = c.readEnvelope(sc, envelopeCmds); err != nil {
			return err
		}
	} else {
		cmds, err := envelopeOf(msg, c.ext.mailParams)
		if err != nil {
			return err
		}
		if refused, err = c.envelope(sc, cmds[:], c.ext.pipelining); err != nil {
			return err
		}
	}
	if refused != nil {
		c.reset(sc)
		return refused
	}
	w := c.dataWriter(sc)
	writeData(w, msg)
	carried := false // the next Send's envelope, in this write
	if c.ext.pipelining && c.next == nil && c.claim != nil {
		if next, cmds := c.claim(c.ext.mailParams); next != nil {
			c.next, carried = next, true
			writeEnvelope(w, cmds[:])
		}
	}
	if err := w.Flush(); err != nil {
		c.dataFor = nil // a bufio.Writer keeps its error: reset it for the next connection
		return fmt.Errorf("write message: %w", err)
	}
	if err := sc.Text.W.Flush(); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	err := readReply(sc.Text.R, 250) // a refusal after DATA ends the transaction either way
	if carried && (err == nil || isReply(err)) {
		c.pending = true // the next message's replies follow on a connection in step
	}
	return err
}

// envelopeCmds is how many commands an envelope has: MAIL, one RCPT, DATA.
const envelopeCmds = 3

// envelopeOf is the envelope of msg: MAIL FROM (with params, such as
// " BODY=8BITMIME"), RCPT TO and DATA. The message is 7-bit
// (quoted-printable or base64 bodies, encoded headers); BODY=8BITMIME is
// said when offered, as before.
func envelopeOf(msg *Msg, params string) ([envelopeCmds]string, error) {
	cmds := [envelopeCmds]string{"MAIL FROM:" + msg.sender + params, "RCPT TO:" + msg.rcpt, "DATA"}
	for _, cmd := range cmds {
		if strings.ContainsAny(cmd, "\r\n") {
			return cmds, invalid(ReasonInvalidMessage, errors.New("line break in an envelope address"))
		}
	}
	return cmds, nil
}

// dataSize is the buffer the DATA of a message is written into: a message
// up to this size (with its end, ".") goes to the server in one write.
// The connection's own buffer (4 KiB) would send a bigger message in one
// write and its end in another.
const dataSize = 64 << 10

// dataWriter is the buffer for the DATA of messages on sc (see dataSize),
// over sc's own writer; both must be flushed.
func (c *conn) dataWriter(sc *smtp.Client) *bufio.Writer {
	if c.data == nil {
		c.data = bufio.NewWriterSize(sc.Text.W, dataSize)
	} else if c.dataFor != sc {
		c.data.Reset(sc.Text.W)
	}
	c.dataFor = sc
	return c.data
}

// extensions are what transact needs of the server's EHLO reply, looked up
// once a connection (go-mail's Extension takes a lock and upper-cases).
type extensions struct {
	pipelining bool
	mailParams string // " BODY=8BITMIME", " SMTPUTF8": appended to MAIL FROM
}

func serverExtensions(sc *smtp.Client) extensions {
	var e extensions
	e.pipelining, _ = sc.Extension("PIPELINING")
	if ok, _ := sc.Extension("8BITMIME"); ok {
		e.mailParams += " BODY=8BITMIME"
	}
	if ok, _ := sc.Extension("SMTPUTF8"); ok {
		e.mailParams += " SMTPUTF8"
	}
	return e
}

// envelope sends cmds (MAIL, RCPTs, DATA) and reads their replies: all in
// one go when the server pipelines, otherwise one at a time, stopping at the
// first refusal. It returns the first refusal (the transaction must then be
// reset), or an I/O or protocol error (the connection is unusable). When
// DATA was accepted despite an earlier refusal, which a server must not do
// but might, the empty message is ended so that the connection stays in step.
func (c *conn) envelope(sc *smtp.Client, cmds []string, pipelining bool) (refused, err error) {
	if !pipelining {
		for i, cmd := range cmds {
			if err := sc.Text.PrintfLine("%s", cmd); err != nil {
				return nil, err
			}
			if err := readReply(sc.Text.R, wantReply(i, len(cmds))); err != nil {
				if isReply(err) {
					return err, nil
				}
				return nil, err
			}
		}
		return nil, nil
	}
	writeEnvelope(sc.Text.W, cmds)
	if err := sc.Text.W.Flush(); err != nil { // a bufio.Writer keeps the first write error
		return nil, err
	}
	return c.readEnvelope(sc, len(cmds))
}

// wantReply is the reply code (or its first digits) that accepts the i-th
// of n envelope commands.
func wantReply(i, n int) int {
	switch {
	case i == 0:
		return 250 // MAIL
	case i == n-1:
		return 354 // DATA
	}
	return 25 // RCPT: 250 or 251
}

// writeEnvelope writes cmds, each a line, to w (not flushed).
func writeEnvelope(w *bufio.Writer, cmds []string) {
	for _, cmd := range cmds {
		_, _ = w.WriteString(cmd)
		_, _ = w.WriteString("\r\n")
	}
}

// readEnvelope reads the replies to n pipelined envelope commands (MAIL,
// RCPTs, DATA), as envelope describes.
func (c *conn) readEnvelope(sc *smtp.Client, n int) (refused, err error) {
	for i := range n {
		err := readReply(sc.Text.R, wantReply(i, n))
		switch {
		case err == nil && i == n-1 && refused != nil:
			// DATA accepted after a refusal: end the empty message.
			if err := sc.Text.PrintfLine("."); err != nil {
				return nil, err
			}
			if err := readReply(sc.Text.R, 250); err != nil && !isReply(err) {
				return nil, err
			}
		case err == nil:
		case isReply(err):
			if refused == nil {
				refused = err
			}
		case refused != nil:
			// The server refused and hung up (a 421): the refusal says why.
			c.drop()
			return refused, nil
		default:
			return nil, err
		}
	}
	return refused, nil
}

// isReply reports whether err is the server's reply (a refusal), rather
// than a failure of the connection.
func isReply(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te)
}

// reset ends a refused transaction (RSET); when even that fails, the
// connection is dropped.
func (c *conn) reset(sc *smtp.Client) {
	if err := sc.Text.PrintfLine("RSET"); err != nil {
		c.drop()
		return
	}
	if err := readReply(sc.Text.R, 250); err != nil {
		c.drop()
	}
}

// writeData writes msg as the DATA of a transaction to w: its text
// dot-stuffed line by line, which costs a fraction of
// textproto's DotWriter (a state machine fed one byte at a time). Lines
// end in CRLF (a bare LF becomes CRLF), a line that starts with "." gets
// another one (RFC 5321 4.5.2), and the data ends with ".". w is not
// flushed (a bufio.Writer keeps the first write error: Flush reports it).
func writeData(w *bufio.Writer, msg *Msg) {
	if data := msg.Bytes(); needsStuffing(data) {
		dotStuff(w, data)
	} else {
		_, _ = w.Write(data) // already CRLF lines, none starting with "."
	}
	_, _ = w.WriteString(".\r\n")
}

// needsStuffing reports whether data must go through dotStuff: it has a
// line that starts with "." or ends in a bare LF, or does not end in
// CRLF. Compose's messages never do but in a body line that starts with
// "." (quoted-printable leaves it as it is).
func needsStuffing(data []byte) bool {
	if len(data) == 0 || data[0] == '.' || data[0] == '\n' || !bytes.HasSuffix(data, []byte("\r\n")) {
		return true
	}
	for i := 1; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return false
		}
		i += j
		if data[i-1] != '\r' || (i+1 < len(data) && data[i+1] == '.') {
			return true
		}
		i++
	}
}

// dotStuff writes data to w as dot-stuffed CRLF lines (see writeData).
func dotStuff(w *bufio.Writer, data []byte) {
	for len(data) > 0 {
		line := data
		next := []byte(nil)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, next = data[:i], data[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > 0 && line[0] == '.' {
			_ = w.WriteByte('.')
		}
		_, _ = w.Write(line)
		_, _ = w.WriteString("\r\n")
		data = next
	}
}
