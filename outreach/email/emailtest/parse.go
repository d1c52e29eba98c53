package emailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parsed is a received message decoded the way a mail client decodes it.
type Parsed struct {
	Header mail.Header
	// Subject is the decoded Subject header.
	Subject string
	// ContentType is the media type of the whole message, such as
	// "multipart/alternative" or "text/plain".
	ContentType string
	// Text and HTML are the decoded text/plain and text/html bodies, with
	// line ends as "\n" and no trailing line break, as a mail client shows
	// them (SMTP carries CRLF and ends the data with a line break).
	Text, HTML string
	// Parts counts the body parts (1 for a single-part message).
	Parts int
}

// Parse decodes an RFC 5322 message with a text/plain and/or text/html
// body, directly or as the parts of a multipart/alternative.
func Parse(raw []byte) (*Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("read message: %w", err)
	}
	p := &Parsed{Header: msg.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("decode Subject: %w", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("parse Content-Type: %w", err)
	}
	p.ContentType = mediaType
	if !strings.HasPrefix(mediaType, "multipart/") {
		return p, p.addPart(mediaType, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read part: %w", err)
		}
		pt, _, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			return nil, fmt.Errorf("parse part Content-Type: %w", err)
		}
		// multipart.Reader already decodes quoted-printable and then
		// removes the Content-Transfer-Encoding header.
		if err := p.addPart(pt, part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
			return nil, err
		}
	}
}

func (p *Parsed) addPart(mediaType, cte string, r io.Reader) error {
	switch strings.ToLower(cte) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("decode %s part: %w", mediaType, err)
	}
	p.Parts++
	text := strings.TrimRight(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	switch mediaType {
	case "text/plain":
		p.Text = text
	case "text/html":
		p.HTML = text
	default:
		return fmt.Errorf("unexpected part %s", mediaType)
	}
	return nil
}
