// Package outbox is the channel of `outreach dev` when neither SMTP nor
// Twilio is configured: instead of sending, it writes every message into a
// folder where a developer can look at it.
//
// Email becomes one .eml file per message, an RFC 5322 message built by
// email.Compose and go-mail's Msg.WriteTo: byte for byte the MIME the SMTP
// channel would send (but for Date and boundaries), so opening the file in
// a mail client shows what a resident would see. Files are named
// <UTC time>-<job id>-<delivery id prefix>.eml, so that they sort by time,
// and are written to a hidden temporary file first and renamed, so that a
// mail client or a file watcher never sees half a message.
//
// SMS becomes one JSON line per message in sms.jsonl. Each line is written
// with a single append under a mutex, so concurrent senders never
// interleave; the file is opened per message, so a developer may delete or
// truncate it while the daemon runs.
//
// The receipt's ProviderID is "outbox:" followed by the file name (email)
// or the line's id (SMS). Files are created readable by the owner only:
// they hold residents' addresses.
package outbox
