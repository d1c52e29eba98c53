package survey

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// TestLinks: a link names its survey and score until it expires; a
// changed score, id or expiry, another key's signature or junk is
// ErrBadLink; past its expiry it is ErrExpiredLink.
func TestLinks(t *testing.T) {
	t.Parallel()
	l := NewLinks(outreach.Secret(strings.Repeat("k", 40)), "https://outreach.example.com/")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	exp := now.Add(7 * 24 * time.Hour)
	tok := l.Token("sv_abc", 2, exp)
	if !strings.HasPrefix(l.Link("sv_abc", 2, exp), "https://outreach.example.com/s/sv_abc.2.") {
		t.Errorf("link %s", l.Link("sv_abc", 2, exp))
	}
	if id, score, err := l.Parse(tok, now); err != nil || id != "sv_abc" || score != 2 {
		t.Errorf("Parse = %q %d %v", id, score, err)
	}
	other := NewLinks(outreach.Secret(strings.Repeat("x", 40)), "https://outreach.example.com")
	for name, bad := range map[string]string{
		"score changed":  strings.Replace(tok, ".2.", ".1.", 1),
		"id changed":     strings.Replace(tok, "sv_abc", "sv_abd", 1),
		"expiry changed": l.Token("sv_abc", 2, exp)[:len("sv_abc.2.")] + "9999999999" + tok[strings.LastIndex(tok, "."):],
		"other key":      other.Token("sv_abc", 2, exp),
		"junk":           "sv_abc.2",
		"empty":          "",
		"score 6":        l.Token("sv_abc", 6, exp),
		"long":           strings.Repeat("a", 300),
	} {
		if _, _, err := l.Parse(bad, now); !errors.Is(err, ErrBadLink) {
			t.Errorf("%s: %v, want ErrBadLink", name, err)
		}
	}
	if id, _, err := l.Parse(tok, exp); !errors.Is(err, ErrExpiredLink) || id != "sv_abc" {
		t.Errorf("after expiry: %q %v, want ErrExpiredLink", id, err)
	}
	if l.csrf(tok) == l.csrf(l.Token("sv_abc", 3, exp)) {
		t.Error("two links share a CSRF token")
	}
}
