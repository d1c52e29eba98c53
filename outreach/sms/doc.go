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
//
// Twilio's JSON error becomes an *APIError (use errors.As) whose message has
// phone numbers masked with MaskPhone; the token is never part of any error
// or log line. A timeout after Twilio received the request may still have
// sent the message, so a retry can duplicate it: that is the window the
// at-least-once design allows.
package sms
