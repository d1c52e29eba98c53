package email

import (
	"errors"
	"net/textproto"
	"regexp"
	"strconv"

	gomail "github.com/wneessen/go-mail"

	"github.com/outreach-dev/outreach/outreach"
)

// Failure reasons (SendError.Reason, a metric label) for SMTP.
const (
	ReasonConnection = "connection"
	ReasonSMTP4xx    = "smtp_4xx"
	ReasonSMTP5xx    = "smtp_5xx"
	ReasonSMTPAuth   = "smtp_auth"
)

// isAuthCode reports whether an SMTP code says that authentication is
// missing or failed (RFC 4954): 530, 534, 535, 538. Those are 5xx, but the
// fault is our configuration, not the message: they stay temporary, so
// that fixing the credentials lets the queued jobs through instead of
// every resident's message being archived as failed.
func isAuthCode(code int) bool {
	switch code {
	case 530, 534, 535, 538:
		return true
	}
	return false
}

// codeClosing is the reply of a server that is closing the connection (idle
// timeout, shutdown). It can arrive as the answer to our next MAIL FROM.
const codeClosing = 421

// failure is a classified send error.
type failure struct {
	err *outreach.SendError
	// broken: the connection is unusable; drop it, and the message may be
	// retried at once on a fresh one.
	broken bool
}

// classify turns go-mail's error for a message to rcpt into a SendError:
//
//   - no reply code and not temporary: the connection broke (EOF, reset,
//     timeout); temporary "connection", worth one retry on a fresh connection;
//   - 421: the server is closing the connection; the same;
//   - 530, 534, 535, 538: temporary "smtp_auth" (see isAuthCode);
//   - 4xx: temporary "smtp_4xx";
//   - 5xx: permanent "smtp_5xx";
//   - the message could not be built: permanent "invalid_message".
func classify(err error, rcpt string) failure {
	var (
		own *outreach.SendError
		te  *textproto.Error
		se  *gomail.SendError
	)
	switch {
	case errors.As(err, &own): // transact's own verdict (a message it cannot send)
		return failure{err: own}
	case errors.As(err, &te): // the server's reply in transact
		return byCode(te.Code, false, false, err, rcpt)
	case !errors.As(err, &se):
		return failure{err: &outreach.SendError{Reason: ReasonConnection, Err: redactErr(err, rcpt)}, broken: true}
	}
	unbuildable := se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded
	return byCode(se.ErrorCode(), se.IsTemp(), unbuildable, err, rcpt)
}

// byCode classifies a refusal by its SMTP reply code (0: none); temp is
// what go-mail thinks of an error without a code, and unbuildable says
// that the message could not be built.
func byCode(code int, temp, unbuildable bool, err error, rcpt string) failure {
	fail := func(permanent bool, reason string) *outreach.SendError {
		e := &outreach.SendError{Permanent: permanent, Reason: reason, Err: redactErr(err, rcpt)}
		if code != 0 {
			e.Code = strconv.Itoa(code)
		}
		return e
	}
	switch {
	case unbuildable:
		return failure{err: fail(true, ReasonInvalidMessage)}
	case isAuthCode(code):
		return failure{err: fail(false, ReasonSMTPAuth)}
	case code == codeClosing:
		return failure{err: fail(false, ReasonSMTP4xx), broken: true}
	case code >= 400 && code < 500, code == 0 && temp:
		return failure{err: fail(false, ReasonSMTP4xx)}
	case code >= 500 && code < 600:
		return failure{err: fail(true, ReasonSMTP5xx)}
	}
	return failure{err: fail(false, ReasonConnection), broken: true}
}

// dialFailure classifies an error from connecting: always temporary (an
// unreachable server or a wrong password is not the message's fault),
// "smtp_auth" when the server refused the credentials and "connection"
// otherwise, with the server's code when it answered.
func dialFailure(err error) *outreach.SendError {
	e := &outreach.SendError{Reason: ReasonConnection, Err: err}
	var te *textproto.Error
	if errors.As(err, &te) {
		e.Code = strconv.Itoa(te.Code)
		if isAuthCode(te.Code) {
			e.Reason = ReasonSMTPAuth
		}
	}
	return e
}

// redactedError keeps err in the chain but prints a text in which the
// recipient's address is masked: go-mail lists the affected recipients in
// its error text, and servers often echo the address in their reply.
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

func redactErr(err error, rcpt string) error {
	text := err.Error()
	if rcpt != "" {
		re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(rcpt))
		text = re.ReplaceAllLiteralString(text, MaskEmail(rcpt))
	}
	return &redactedError{text: text, err: err}
}
