// Package logging builds the daemon's structured logger: slog JSON lines
// (text on a terminal), at OUTREACH_LOG_LEVEL, with personal data and
// credentials masked in every message and attribute (see package mask).
//
// Masking happens in the handler's ReplaceAttr, so it costs nothing for
// records below the level: a disabled Debug call never reaches it.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/outreach-dev/outreach/outreach/mask"
)

// Formats of OUTREACH_LOG_FORMAT.
const (
	FormatJSON = "json"
	FormatText = "text"
	FormatAuto = "auto" // text when w is a terminal, JSON otherwise
)

// New returns a logger writing to w in format (json, text or auto) at
// level, masking personal data and credentials. An unknown format is JSON.
func New(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	return slog.New(NewHandler(w, format, level))
}

// NewHandler is New's handler, for wrapping (tests record through it).
func NewHandler(w io.Writer, format string, level slog.Leveler) slog.Handler {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: Redact}
	if format == FormatText || (format == FormatAuto && IsTerminal(w)) {
		return slog.NewTextHandler(w, opts)
	}
	return slog.NewJSONHandler(w, opts)
}

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Redact is a slog.HandlerOptions.ReplaceAttr that masks personal data and
// credentials (mask.Text) in the message and in every string, error and
// Stringer attribute, and writes durations as Go does ("1.5ms"). Numbers,
// times and booleans pass as they are; other values (structs, maps) are the caller's to keep free of
// personal data.
func Redact(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); s != "" {
			if m := mask.Text(s); m != s {
				a.Value = slog.StringValue(m)
			}
		}
	case slog.KindDuration: // "1.5ms" rather than JSON's nanoseconds
		a.Value = slog.StringValue(a.Value.Duration().String())
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(mask.Text(errorText(v)))
		case time.Time, *time.Time, time.Duration:
		case fmt.Stringer:
			a.Value = slog.StringValue(mask.Text(v.String()))
		}
	}
	return a
}

// errorText is err's message; an error whose Error panics (a nil pointer
// in an interface) prints as "<nil>", as slog itself would.
func errorText(err error) (s string) {
	defer func() {
		if recover() != nil {
			s = "<nil>"
		}
	}()
	return err.Error()
}
