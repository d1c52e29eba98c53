// Package email is the email channel: it sends outreach.Message values over
// SMTP with github.com/wneessen/go-mail.
//
// # Connections
//
// A go-mail Client holds one SMTP connection and serializes its sends, and
// dialling costs a TCP handshake, EHLO, often STARTTLS and AUTH: far more
// than the message. So a Sender keeps a pool of Config.Conns slots, each a
// Client dialled on first use and then kept open across messages. Send
// takes a free slot (waiting for one, or for ctx), and each message costs
// MAIL, RCPT, DATA and RSET; the NOOP that go-mail would send first is
// switched off (WithoutNoop), because a dead connection shows itself on
// MAIL anyway and is then redialled.
//
// Servers drop idle connections (often with "421 Idle timeout"), restart,
// or lose the network. When a message fails with no reply from the server
// (go-mail's SendError with ErrorCode 0 and not temporary) or with 421, the
// slot's connection is closed and the message is retried once on a freshly
// dialled connection; if that fails too the error is a temporary
// "connection" failure. A message the server has already accepted is never
// retried (only the RSET after it failed). The one window for a duplicate
// is a connection that breaks after the data was sent but before the reply
// was read; the retry then carries the same Message-ID, which lets
// receivers spot it (see outreach.DeliveryID).
//
// A cancelled ctx aborts a message in flight by closing its socket; the
// slot redials for the next message. Config.Timeout bounds dialling and
// each message's exchange.
//
// # Errors
//
// Failures are *outreach.SendError values whose Reason is a metric label:
//
//	connection       temporary: dial or TLS failed, or the connection broke twice
//	smtp_auth        temporary: AUTH failed or is required (530, 534, 535, 538)
//	smtp_4xx         temporary: the server said 4xx (Code holds it, e.g. "451")
//	smtp_5xx         permanent: the server said 5xx ("550"); the text has its reply
//	invalid_address  permanent: m.To is not an address
//	invalid_message  permanent: no body, unusable delivery id, not UTF-8
//
// Authentication codes are 5xx but stay temporary: the credentials are
// wrong, not the message, and the jobs should wait for the fix rather than
// be archived as failed for every resident.
//
// # TLS and authentication
//
// tls=none sends in clear text, tls=starttls requires STARTTLS (go-mail's
// TLSMandatory: no silent downgrade), tls=tls (or smtps://) speaks TLS from
// the start. SMTP AUTH (PLAIN or LOGIN, whichever the server offers) is used
// only when the URL has a user; with tls=none the credentials cross the
// network in clear, which New logs as a warning unless the host is loopback.
//
// # Bulk messages
//
// A message with an Unsubscribe link (the daemon sets one on holiday
// greetings when OUTREACH_PUBLIC_URL is set) carries List-Unsubscribe and,
// for an https link, List-Unsubscribe-Post: List-Unsubscribe=One-Click
// (RFC 8058), so mail clients offer a one-click unsubscribe button that
// POSTs to the daemon (see package unsubscribe). RFC 8058 also wants both
// headers covered by a DKIM signature: that is the relay's job.
//
// # Privacy
//
// The recipient's address never appears in logs or error texts: go-mail
// lists affected recipients in its errors and servers echo them in replies,
// so error texts are rewritten with MaskEmail. The password lives in a
// outreach.Secret, which prints as "<secret>". Header values that come from data
// (recipient name, subject, job id) have CR, LF and other control
// characters replaced by spaces, so they cannot add headers.
//
// The package emailtest runs a real SMTP server in-process for tests.
package email
