// Package sms is the SMS channel of outreach: an outreach.Sender that posts
// messages to Twilio's Messages API through the official twilio-go client.
//
// # Reaching Twilio
//
// twilio-go hard-codes https://api.twilio.com, takes no context, never
// retries and drops response headers. Each Send therefore builds a small
// twilio-go client (credentials, account SID, an http.Client) around its own
// http.RoundTripper, an exchange, which shares one http.Transport (the
// connection pool) with every other Send. The exchange:
//
//   - rewrites each request's scheme and host to those of Config.APIURL and
//     puts the URL's path in front of Twilio's, so the same code talks to
//     Twilio, a proxy or an httptest server;
//   - attaches the Send's context, bounded by Config.Timeout, to the request
//     twilio-go built without one. http.Client.Timeout is deliberately not
//     used: its timer stops only when the response body is closed, and
//     twilio-go never closes error bodies, so every 4xx/5xx would leave a
//     goroutine and timer behind until the timeout;
//   - records the response's status and Retry-After header, which twilio-go
//     does not return; being per Send, concurrent Sends never see each
//     other's values;
//   - buffers error bodies and closes the originals, which twilio-go leaves
//     open.
//
// The ClientParams route of twilio-go is not used: with ClientParams.Client
// set, its Username and Password are ignored, and the service constructors
// read TWILIO_EDGE and TWILIO_REGION, which would move the host.
//
// # Errors
//
// A failed Send returns an *outreach.SendError:
//
//	HTTP 429                          temporary  twilio_429   Code, RetryAfter
//	HTTP 5xx                          temporary  twilio_5xx   Code, RetryAfter
//	21211, 21614 invalid number       permanent  twilio_<code>
//	21610 unsubscribed (STOP)         permanent  twilio_21610
//	21408 region not enabled          permanent  twilio_21408
//	21612 cannot route                permanent  twilio_21612
//	any other 4xx (20003 bad auth...) permanent  twilio_4xx   Code
//	no answer: dial, reset, timeout   temporary  connection
//	2xx without a message SID         temporary  twilio_bad_response
//	empty To or Text                  permanent  invalid_message
//	more segments than MaxSegments    permanent  too_many_segments
//	rate-limit wait beyond deadline   temporary  rate_limit
//
// A 21610 error also sets SendError.Unsubscribed: the resident replied STOP
// to Twilio, and the daemon records the opt-out.
//
// Twilio's JSON error becomes an *APIError (use errors.As) whose message has
// phone numbers masked with MaskPhone; the token is never part of any error
// or log line. A timeout after Twilio received the request may still have
// sent the message, so a retry can duplicate it: that is the window the
// at-least-once design allows.
//
// # Rate and size
//
// Carriers and Twilio queue or drop what a sender posts faster than its
// number takes (a long code about 1 message a second, short codes and
// messaging services more). Config.Rate (OUTREACH_SMS_RATE) is a token
// bucket with a burst of one, shared by every Send of the Sender, so it
// holds across all the workers of a daemon; Config.Waited reports each
// wait for metrics. The archive shows the wait as the gap between a
// delivery's queued_at and sent_at.
//
// Measure counts the segments a text is sent in: GSM-7 text takes 160
// characters in one segment and 153 per segment when split, anything else
// is UCS-2 with 70 and 67 (Chinese text is UCS-2). A text over
// Config.MaxSegments (OUTREACH_SMS_MAX_SEGMENTS) fails permanently before
// reaching Twilio. The receipt carries the count and the encoding.
//
// # Webhooks
//
// Twilio reports on messages it took (queued, sent, delivered,
// undelivered, failed) by posting to the StatusCallback URL, which New
// sets per message when Config.StatusCallback is given (the daemon uses
// OUTREACH_PUBLIC_URL + StatusPath). ParseStatusCallback turns such a post
// into an outreach.StatusUpdate; ParseInbound and Inbound.Action read an
// incoming message and its opt-out keywords (STOP, UNSUBSCRIBE, 退订, TD,
// START, ...). Validator checks the X-Twilio-Signature of both. The HTTP
// handlers live in package api.
package sms
