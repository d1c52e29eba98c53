package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	"sync"
	texttemplate "text/template"
	"text/template/parse"
	"time"
)

// parsed holds the templates of one channel of a locale folder: subject,
// text and HTML for email (HTML may be nil), text alone for SMS.
type parsed struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// bound is parsed bound to the date helpers of one time zone, ready to
// execute, with each template also cut into segments (nil: executed whole,
// see segmented).
type bound struct {
	parsed
	zone                         *time.Location
	subjectSeg, textSeg, htmlSeg *segmented
}

// bind clones p with the helpers of locale and zone. p itself is never
// executed: html/template cannot clone a template that has run.
func (p *parsed) bind(locale string, zone *time.Location) (*bound, error) {
	f := funcs(locale, zone)
	b := &bound{zone: zone}
	for _, c := range []struct {
		src, dst **texttemplate.Template
		seg      **segmented
	}{{&p.subject, &b.subject, &b.subjectSeg}, {&p.text, &b.text, &b.textSeg}} {
		if *c.src == nil {
			continue
		}
		src := *c.src
		t, err := src.Clone()
		if err != nil {
			return nil, fmt.Errorf("prepare template %s: %w", src.Name(), err)
		}
		*c.dst = t.Funcs(f)
		*c.seg, err = cut(func() (executor, *parse.Tree, error) {
			t, err := src.Clone()
			if err != nil || t.Tree == nil {
				return nil, nil, err
			}
			// A text template's clone shares the tree: give it its own.
			tree := *t.Tree
			t.Tree = &tree
			return t.Funcs(f), &tree, nil
		})
		if err != nil {
			return nil, fmt.Errorf("prepare template %s: %w", src.Name(), err)
		}
	}
	if p.html != nil {
		t, err := p.html.Clone()
		if err != nil {
			return nil, fmt.Errorf("prepare template %s: %w", p.html.Name(), err)
		}
		b.html = t.Funcs(f)
		b.htmlSeg, err = cut(func() (executor, *parse.Tree, error) {
			t, err := p.html.Clone()
			if err != nil {
				return nil, nil, err
			}
			t.Funcs(f)
			// Escape the whole template (an execution does; the errors
			// of executing it without data are expected), then read its
			// escaped tree, which is the clone's own.
			var escErr *htmltemplate.Error
			if err := t.Execute(io.Discard, nil); errors.As(err, &escErr) {
				return nil, nil, err
			}
			return t, t.Tree, nil
		})
		if err != nil {
			return nil, fmt.Errorf("prepare template %s: %w", p.html.Name(), err)
		}
	}
	return b, nil
}

// zoneKey names a zone in a part's cache; nil (keep each time's own
// offset) is "".
func zoneKey(zone *time.Location) string {
	if zone == nil {
		return ""
	}
	return zone.String()
}

// forZone returns p's templates bound to locale and zone, binding them on
// first use. Each zone is bound once per part: html/template escapes a
// template on its first execution, so re-binding for every message would
// escape every message. Zones are told apart by name (IANA names are
// unique); a different *time.Location that shares a cached one's name is
// bound afresh rather than served the wrong zone.
func (p *part) forZone(locale string, zone *time.Location) (*bound, error) {
	key := zoneKey(zone)
	if v, ok := p.zones.Load(key); ok {
		if b := v.(*bound); b.zone == zone {
			return b, nil
		}
		return p.tmpl.bind(locale, zone)
	}
	b, err := p.tmpl.bind(locale, zone)
	if err != nil {
		return nil, err
	}
	v, _ := p.zones.LoadOrStore(key, b)
	if b := v.(*bound); b.zone == zone {
		return b, nil
	}
	return p.tmpl.bind(locale, zone)
}

// zoneCache holds the zones loaded by name: time.LoadLocation reads the
// zone database on every call.
var zoneCache sync.Map // string -> *time.Location

// loadZone loads an IANA zone by name, once per name.
func loadZone(name string) (*time.Location, error) {
	if v, ok := zoneCache.Load(name); ok {
		return v.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	v, _ := zoneCache.LoadOrStore(name, loc)
	return v.(*time.Location), nil
}

// zoneFor is the time zone in's times are shown in: the resident's own
// when it names a zone this process knows, else the estate's, else
// DefaultTimeZone. A zone
// name that cannot be loaded is a profile problem for whoever writes
// profiles to catch; here it falls back to the default rather than fail
// the message, and Rendered.TimeZone shows which zone was used.
func zoneFor(in Input) *time.Location {
	for _, name := range []string{in.Resident.TimeZone, in.Estate.TimeZone} {
		if name = strings.TrimSpace(name); name != "" {
			if loc, err := loadZone(name); err == nil {
				return loc
			}
		}
	}
	return in.DefaultTimeZone
}
