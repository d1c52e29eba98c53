package resident

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/outreach-dev/outreach/outreach"
)

// rowParser turns data rows into residents. It remembers the ids it has
// seen, so one rowParser reads one file.
type rowParser struct {
	opt    Options
	header header
	idLine map[string]int // id -> line that first used it
}

// rowErrors collects the problems of one row.
type rowErrors struct {
	line int
	id   string
	errs []RowError
}

func (e *rowErrors) add(field string, err error) {
	e.errs = append(e.errs, RowError{Line: e.line, ID: e.id, Field: field, Err: err})
}

// parse checks one row that starts on line. It returns the resident, or
// every problem of the row.
func (p *rowParser) parse(line int, rec []string) (outreach.Resident, []RowError) {
	errs := &rowErrors{line: line}
	if len(rec) != p.header.width {
		// Columns do not line up, so no cell can be trusted, not even the id.
		errs.add("", fmt.Errorf("%w: the row has %d, the header %d", ErrFieldCount, len(rec), p.header.width))
		return outreach.Resident{}, errs.errs
	}
	cell := func(col string) string {
		if i, ok := p.header.known[col]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	errs.id = cell(colID)
	if p.checkEncoding(errs, rec) {
		// A file saved as GBK or the like: report the cells once and skip
		// the checks that would only repeat the problem.
		if validText(errs.id) {
			p.checkID(errs, errs.id)
		}
		return outreach.Resident{}, errs.errs
	}

	r := outreach.Resident{
		ID:       errs.id,
		Name:     cell(colName),
		Building: cell(colBuilding),
		Unit:     cell(colUnit),
		Tags:     SplitList(cell(colTags)),
	}
	p.checkID(errs, r.ID)
	if r.Name == "" {
		errs.add(colName, ErrRequired)
	}
	r.Email, r.Phone = p.contacts(errs, cell(colEmail), cell(colPhone))
	r.Locale = p.locale(errs, cell(colLocale))
	r.Estate = p.estate(errs, cell(colEstate))
	r.Channels = channels(errs, cell(colChannels))
	r.Attributes = p.attributes(errs, rec)

	if len(errs.errs) > 0 {
		return outreach.Resident{}, errs.errs
	}
	return r, nil
}

// checkEncoding reports each cell that is not text and whether there was
// one: bytes that are not UTF-8 (a file read as UTF-8 that is not), or
// U+FFFD, which decoders write for bytes they cannot read (a file read as
// GB18030 that is not, or damaged) and which no real name contains.
func (p *rowParser) checkEncoding(errs *rowErrors, rec []string) bool {
	bad := false
	for i, v := range rec {
		switch {
		case !utf8.ValidString(v):
			errs.add(p.header.names[i], fmt.Errorf("%w: not valid UTF-8 (save the file as UTF-8, or give its encoding)", ErrEncoding))
			bad = true
		case strings.ContainsRune(v, utf8.RuneError):
			errs.add(p.header.names[i], fmt.Errorf("%w: holds U+FFFD, the mark of bytes the file's encoding could not read", ErrEncoding))
			bad = true
		}
	}
	return bad
}

// validText reports whether s is UTF-8 without U+FFFD: see checkEncoding.
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError)
}

// checkID requires an id that no earlier line used. An id is taken by the
// first row that carries it even when that row has other problems: two rows
// with one id are ambiguous whichever of them is right.
func (p *rowParser) checkID(errs *rowErrors, id string) {
	if id == "" {
		errs.add(colID, ErrRequired)
		return
	}
	if first, dup := p.idLine[id]; dup {
		errs.add(colID, fmt.Errorf("%w: %q is already used on line %d", ErrDuplicateID, id, first))
		return
	}
	p.idLine[id] = errs.line
}

// contacts validates email and phone, at least one of which is required,
// and returns them (the phone in E.164). The messages leave the values out:
// they would be PII in logs.
func (p *rowParser) contacts(errs *rowErrors, email, phone string) (string, string) {
	if email == "" && phone == "" {
		errs.add("email/phone", fmt.Errorf("%w: a resident needs an email or a phone", ErrRequired))
		return "", ""
	}
	if email != "" && !ValidEmail(email) {
		errs.add(colEmail, ErrInvalidEmail)
	}
	if phone != "" {
		e164, err := NormalizePhone(phone, p.opt.DefaultRegion)
		if err != nil {
			errs.add(colPhone, err)
		}
		phone = e164
	}
	return email, phone
}

// locale normalizes the locale cell; empty means the default locale.
func (p *rowParser) locale(errs *rowErrors, v string) string {
	if v == "" {
		return p.opt.DefaultLocale
	}
	loc, err := NormalizeLocale(v)
	if err != nil {
		errs.add(colLocale, err)
	}
	return loc
}

// estate checks the estate cell; empty means the default estate.
func (p *rowParser) estate(errs *rowErrors, v string) string {
	if v == "" {
		return p.opt.DefaultEstate
	}
	if err := outreach.CheckEstateID(v); err != nil {
		errs.add(colEstate, err)
		return v
	}
	if p.opt.Estates != nil && !slices.Contains(p.opt.Estates, v) {
		errs.add(colEstate, fmt.Errorf("%w %q (see `outreach estates list`)", outreach.ErrUnknownEstate, v))
	}
	return v
}

// channels reads the preferred channels, lower-cased; empty means the
// default order. A channel without a contact (sms and no phone) is allowed:
// routing skips it.
func channels(errs *rowErrors, v string) []outreach.Channel {
	var out []outreach.Channel
	for _, item := range SplitList(strings.ToLower(v)) {
		c := outreach.Channel(item)
		if !c.Valid() || c.Group() { // a chat channel posts to a group, never to one resident
			errs.add(colChannels, fmt.Errorf("%w %q (want email or sms)", ErrUnknownChannel, item))
			continue
		}
		out = append(out, c)
	}
	return out
}

// attributes collects the non-empty cells of the columns the contract does
// not know, keyed by their header name as written; nil when there is none.
// A value under a column the header leaves unnamed is an error: it would
// have no key.
func (p *rowParser) attributes(errs *rowErrors, rec []string) map[string]string {
	var attrs map[string]string
	for _, c := range p.header.extra {
		v := strings.TrimSpace(rec[c.index])
		if v == "" {
			continue
		}
		if attrs == nil {
			attrs = make(map[string]string)
		}
		attrs[c.name] = v
	}
	for _, i := range p.header.unnamed {
		if strings.TrimSpace(rec[i]) != "" {
			errs.add(p.header.names[i], ErrUnnamedColumn)
		}
	}
	return attrs
}
