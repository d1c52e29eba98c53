package sms

import (
	"fmt"
	"log/slog"
)

// redacted is what a Secret prints instead of its value.
const redacted = "<secret>"

// Secret is a credential such as TWILIO_AUTH_TOKEN. It prints, formats,
// logs and marshals as "<secret>" so that a Config can be printed or logged
// whole; use string(s) where the value is really needed.
type Secret string

// String returns "<secret>".
func (Secret) String() string { return redacted }

// Format prints "<secret>" for every verb, including %#v, %q and %x.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON encodes the secret as the JSON string "<secret>".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue makes slog print "<secret>".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
