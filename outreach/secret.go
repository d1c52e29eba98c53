package outreach

import (
	"fmt"
	"log/slog"
)

const redacted = "<secret>"

// Secret is a credential (a password, a token, a URL that carries one). It
// prints as "<secret>" in every fmt verb, in slog and in JSON, so logging a
// configuration cannot leak it; Reveal gives the value to the one place
// that needs it.
type Secret string

// String returns "<secret>".
func (Secret) String() string { return redacted }

// GoString returns "<secret>" for %#v.
func (Secret) GoString() string { return redacted }

// Format prints "<secret>" for every verb, including %q and %x.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON encodes the secret as the JSON string "<secret>".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText hides the secret from text encoders.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes slog print "<secret>".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }
