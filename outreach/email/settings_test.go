package email_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach/email"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		want    email.Settings
		wantErr string // substring; empty means success
	}{
		{
			name: "default starttls and submission port",
			raw:  "smtp://mail.example.com",
			want: email.Settings{Host: "mail.example.com", Port: 587, TLS: email.TLSStartTLS},
		},
		{
			name: "none defaults to port 25",
			raw:  "smtp://relay.local?tls=none",
			want: email.Settings{Host: "relay.local", Port: 25, TLS: email.TLSNone},
		},
		{
			name: "tls defaults to port 465",
			raw:  "smtp://mail.example.com?tls=tls",
			want: email.Settings{Host: "mail.example.com", Port: 465, TLS: email.TLSImplicit},
		},
		{
			name: "smtps means implicit tls",
			raw:  "smtps://u:p@mail.example.com",
			want: email.Settings{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", TLS: email.TLSImplicit},
		},
		{
			name: "user, escaped password, explicit port",
			raw:  "smtp://office%40example.com:p%40ss%2Fw%3Ard@mail.example.com:2525?tls=STARTTLS",
			want: email.Settings{Host: "mail.example.com", Port: 2525, Username: "office@example.com", Password: "p@ss/w:rd", TLS: email.TLSStartTLS},
		},
		{
			name: "ipv6 host",
			raw:  "smtp://[::1]:25?tls=none",
			want: email.Settings{Host: "::1", Port: 25, TLS: email.TLSNone},
		},
		{name: "empty", raw: "", wantErr: "OUTREACH_SMTP_URL is empty"},
		{name: "wrong scheme", raw: "http://mail.example.com", wantErr: `scheme "http"`},
		{name: "no host", raw: "smtp://:25", wantErr: "no host"},
		{name: "bad tls", raw: "smtp://h?tls=maybe", wantErr: "unknown tls= value"},
		{name: "tls twice", raw: "smtp://h?tls=none&tls=tls", wantErr: "more than once"},
		{name: "unknown parameter", raw: "smtp://h?tsl=none", wantErr: "unknown query parameter"},
		{name: "smtps with starttls", raw: "smtps://h?tls=starttls", wantErr: "conflicts"},
		{name: "path", raw: "smtp://h/x", wantErr: "no path"},
		{name: "port zero", raw: "smtp://h:0", wantErr: "1-65535"},
		{name: "password without user", raw: "smtp://:hunter2@h", wantErr: "no user"},
		{name: "unparsable, password not echoed", raw: "smtp://user:hunter2/x@h", wantErr: "not a valid URL"},
		{name: "password spilling into the query", raw: "smtp://user:12?hunter2@h", wantErr: "unknown query parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := email.ParseURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseURL(%q) = %v, want an error containing %q", tt.raw, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "OUTREACH_SMTP_URL") {
					t.Errorf("error %q does not contain %q and OUTREACH_SMTP_URL", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q echoes the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("ParseURL(%q) = %#v, want %#v", tt.raw, got, tt.want)
			}
		})
	}
}

// TestSettingsHideSecret proves that no way of printing the settings shows
// the password.
func TestSettingsHideSecret(t *testing.T) {
	t.Parallel()
	s, err := email.ParseURL("smtp://office:hunter2@mail.example.com?tls=tls")
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	if s.Password.Reveal() != "hunter2" {
		t.Fatalf("Reveal() = %q, want the password", s.Password.Reveal())
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("settings", "smtp", s, "password", s.Password)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("settings", "smtp", s, "password", s.Password)
	asJSON, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	outputs := map[string]string{
		"Sprint":    fmt.Sprint(s),
		"%v":        fmt.Sprintf("%v", s),
		"%+v":       fmt.Sprintf("%+v", s),
		"%#v":       fmt.Sprintf("%#v", s),
		"%s secret": fmt.Sprintf("%s", s.Password),
		"%#v ptr":   fmt.Sprintf("%#v", &s),
		"json":      string(asJSON),
		"slog":      logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s prints the password: %s", name, out)
		}
	}
	if got, want := fmt.Sprint(s), "smtp://office@mail.example.com:465?tls=tls"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
