package resident

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones check the same on every host, with or without zoneinfo
	"unicode"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
)

// MaxIDLength is the longest resident id Check accepts, in bytes.
const MaxIDLength = 200

// FieldError is a problem with one field of a resident profile. Field is
// the field's JSON name ("phone", "time_zone", "attributes.floor"), or
// "email/phone" when a resident has neither. The message never contains an
// email address or a phone number, so it can be logged and returned.
type FieldError struct {
	Field string
	Err   error
}

func (e FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e FieldError) Unwrap() error { return e.Err }

// ProfileError is every problem Check found in one profile.
type ProfileError struct {
	Problems []FieldError // at least one, in field order
}

func (e *ProfileError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return "invalid resident: " + strings.Join(msgs, "; ")
}

// Unwrap returns the problems, so errors.As finds the first FieldError.
func (e *ProfileError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// Check validates a resident profile with the rules of an import row and
// returns it in canonical form. It is what the HTTP API, `outreach
// residents set` and a job's inline resident go through before a profile
// is stored or used:
//
//   - id: required, at most MaxIDLength bytes, no surrounding space and no
//     control characters;
//   - name: required; email or phone: at least one;
//   - email: a bare address (ValidEmail); phone: normalized to E.164 with
//     NormalizePhone in region (with region "" the number needs its
//     country code, "+86 ...");
//   - locale: NormalizeLocale, empty meaning the default; time_zone: an
//     IANA name that time.LoadLocation knows, empty meaning the daemon's
//     default (OUTREACH_TIMEZONE);
//   - tags: trimmed, empty ones and repeats dropped; channels: known
//     channels in preference order, lower-cased, repeats dropped;
//   - opt_out_channels, opt_out_kinds: known channels and kinds, as sorted
//     sets (what the stores keep);
//   - attributes: non-empty keys; no text may hold a NUL or, except an
//     attribute's value, any other control character.
//
// Strings are trimmed. The error is a *ProfileError with every problem.
func Check(r outreach.Resident, region string) (outreach.Resident, error) {
	c := &checker{}
	c.id(r.ID)
	r.Name = c.line("name", r.Name)
	if r.Name == "" {
		c.add("name", ErrRequired)
	}
	r.Email = c.line("email", r.Email)
	r.Phone = c.line("phone", r.Phone)
	switch {
	case r.Email == "" && r.Phone == "":
		c.add("email/phone", fmt.Errorf("%w: a resident needs an email or a phone", ErrRequired))
	case r.Email != "" && !ValidEmail(r.Email):
		c.add("email", errors.New("not a valid email address"))
	}
	if r.Phone != "" {
		e164, err := NormalizePhone(r.Phone, region)
		if err != nil {
			c.add("phone", err)
		}
		r.Phone = e164
	}
	if r.Locale = c.line("locale", r.Locale); r.Locale != "" {
		loc, err := NormalizeLocale(r.Locale)
		if err != nil {
			c.add("locale", err)
		}
		r.Locale = loc
	}
	if r.Estate = c.line("estate", r.Estate); r.Estate != "" {
		if err := outreach.CheckEstateID(r.Estate); err != nil {
			c.add("estate", err)
		}
	}
	r.Building = c.line("building", r.Building)
	r.Unit = c.line("unit", r.Unit)
	if r.TimeZone = c.line("time_zone", r.TimeZone); r.TimeZone != "" {
		c.timeZone(r.TimeZone)
	}
	r.Tags = c.tags(r.Tags)
	r.Channels = checkList(c, "channels", r.Channels, outreach.Channel.Valid, "want email or sms")
	r.OptOutChannels = sortedSet(checkList(c, "opt_out_channels", r.OptOutChannels, outreach.Channel.Valid, "want email or sms"))
	r.OptOutKinds = sortedSet(checkList(c, "opt_out_kinds", r.OptOutKinds, outreach.Kind.Valid, "want one of "+kindNames()))
	r.Attributes = c.attributes(r.Attributes)
	if len(c.problems) > 0 {
		return outreach.Resident{}, &ProfileError{Problems: c.problems}
	}
	return r, nil
}

// checker collects the problems of one profile.
type checker struct{ problems []FieldError }

func (c *checker) add(field string, err error) {
	c.problems = append(c.problems, FieldError{Field: field, Err: err})
}

func (c *checker) id(id string) {
	switch {
	case id == "":
		c.add("id", ErrRequired)
	case len(id) > MaxIDLength:
		c.add("id", fmt.Errorf("longer than %d bytes", MaxIDLength))
	case strings.TrimSpace(id) != id:
		c.add("id", errors.New("starts or ends with a space"))
	default:
		c.text("id", id, false)
	}
}

// line trims a one-line text field and checks its characters.
func (c *checker) line(field, s string) string {
	s = strings.TrimSpace(s)
	c.text(field, s, false)
	return s
}

// text checks that s is UTF-8 without NUL, and without any other control
// character unless multiline. It reports at most one problem per field.
func (c *checker) text(field, s string, multiline bool) bool {
	switch {
	case !utf8.ValidString(s):
		c.add(field, errors.New("not valid UTF-8"))
	case strings.ContainsFunc(s, func(r rune) bool {
		return r == 0 || (!multiline && unicode.IsControl(r))
	}):
		c.add(field, errors.New("contains a control character"))
	default:
		return true
	}
	return false
}

func (c *checker) timeZone(tz string) {
	if tz == "Local" { // the host's zone: means something else on every machine
		c.add("time_zone", errors.New(`"Local" is not a zone; want an IANA name such as Asia/Shanghai`))
		return
	}
	if _, err := time.LoadLocation(tz); err != nil {
		c.add("time_zone", fmt.Errorf("unknown time zone %q (want an IANA name such as Asia/Shanghai)", tz))
	}
}

func (c *checker) tags(tags []string) []string {
	var out []string
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t != "" && c.text("tags", t, false) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func (c *checker) attributes(attrs map[string]string) map[string]string {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]string, len(attrs))
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		key := strings.TrimSpace(k)
		field := "attributes." + key
		switch {
		case key == "":
			c.add("attributes", errors.New("an attribute has an empty name"))
			continue
		case !c.text(field, key, false):
			continue
		}
		if c.text(field, attrs[k], true) {
			out[key] = attrs[k]
		}
	}
	return out
}

// checkList lower-cases and trims the items of a channel or kind list,
// drops repeats, and reports unknown items.
func checkList[S ~[]E, E ~string](c *checker, field string, in S, valid func(E) bool, want string) S {
	var out S
	for _, item := range in {
		v := E(strings.ToLower(strings.TrimSpace(string(item))))
		if !valid(v) {
			c.add(field, fmt.Errorf("unknown value %q (%s)", item, want))
			continue
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func sortedSet[S ~[]E, E ~string](s S) S {
	slices.Sort(s)
	return s
}

func kindNames() string {
	names := make([]string, len(outreach.Kinds))
	for i, k := range outreach.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
