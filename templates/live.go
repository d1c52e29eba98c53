package templates

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Provider gives the template set to render with now. Readers call Current
// for each message and keep no set of their own, so a reload takes effect
// with the next message.
type Provider interface {
	Current() *Set
}

// Current returns s: a fixed set is its own Provider.
func (s *Set) Current() *Set { return s }

// Source says how the daemon's set is built: the built-in set, with an
// operator's folder laid over it (OverlayDir), and locale fallback rules
// (WithLocaleFallback).
type Source struct {
	Dir            string            // OUTREACH_TEMPLATES_DIR; empty: the built-in set alone
	LocaleFallback map[string]string // OUTREACH_LOCALE_FALLBACK
}

// Load builds the set src describes. Its errors carry every problem found,
// each with its file and line (see FileErrors).
func (src Source) Load() (*Set, error) {
	s, err := Builtin()
	if err != nil {
		return nil, err
	}
	if src.Dir != "" {
		if s, err = s.OverlayDir(src.Dir); err != nil {
			return nil, fmt.Errorf("load templates from %s:\n%w", src.Dir, err)
		}
	}
	if s, err = s.WithLocaleFallback(src.LocaleFallback); err != nil {
		return nil, fmt.Errorf("set locale fallback: %w", err)
	}
	return s, nil
}

// Live is a Provider whose set can be replaced while messages render: a
// reload builds a whole new set aside and swaps it in atomically, so a
// render sees the old set or the new one, never a mix, and a reload that
// fails leaves the old set serving.
type Live struct {
	src Source
	mu  sync.Mutex // one reload at a time
	cur atomic.Pointer[Set]
}

// NewLive loads src and serves it.
func NewLive(src Source) (*Live, error) {
	s, err := src.Load()
	if err != nil {
		return nil, err
	}
	l := &Live{src: src}
	l.cur.Store(s)
	return l, nil
}

// Current returns the set of the last successful load.
func (l *Live) Current() *Set { return l.cur.Load() }

// Reload loads the source again (the override folder as it is now) and,
// when it loads cleanly, serves the new set, which it returns. On error
// the set in service does not change.
func (l *Live) Reload() (*Set, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.src.Load()
	if err != nil {
		return nil, err
	}
	l.cur.Store(s)
	return s, nil
}

// Source returns what l loads from.
func (l *Live) Source() Source { return l.src }
