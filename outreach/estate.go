package outreach

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultEstateID is the estate of every resident that names none: a fresh
// install has it (migration 9 creates it) and needs nothing else; the
// settings OUTREACH_COMPANY_NAME and OUTREACH_SERVICE_PHONE fill in its
// identity.
const DefaultEstateID = "default"

// Estate is one property (小区, 项目) with its own service centre: the
// identity messages to its residents speak with, and the boundary of what
// an estate-limited API token may see.
type Estate struct {
	ID string `json:"id"`
	// Name is what residents call the estate (阳光花园, "Sunshine Garden").
	Name string `json:"name"`
	// Company is the property company (万科物业).
	Company string `json:"company,omitempty"`
	// ServicePhone is the service centre's number; templates use it when a
	// job gives no data.contact.
	ServicePhone string `json:"service_phone,omitempty"`
	// OfficeHours as residents read them ("周一至周日 8:00-20:00").
	OfficeHours string `json:"office_hours,omitempty"`
	// EmergencyPhone answers after hours.
	EmergencyPhone string `json:"emergency_phone,omitempty"`
	Address        string `json:"address,omitempty"`
	// SMSSignature starts every SMS to the estate's residents, in 【】 as
	// Chinese carriers require (【阳光花园物业】); empty sends no signature.
	SMSSignature string `json:"sms_signature,omitempty"`
	// EmailFromName is the display name of the From header (the address
	// stays OUTREACH_EMAIL_FROM); ReplyTo, when set, is where residents'
	// answers go.
	EmailFromName string `json:"email_from_name,omitempty"`
	ReplyTo       string `json:"reply_to,omitempty"`
	// TimeZone (IANA) and Locale apply to residents who have none of
	// their own; empty means the daemon's.
	TimeZone string `json:"time_zone,omitempty"`
	Locale   string `json:"locale,omitempty"`
	// QuietHours, in OUTREACH_QUIET_HOURS form, replace the daemon's for
	// the estate's residents; empty keeps the daemon's.
	QuietHours string `json:"quiet_hours,omitempty"`
	// SurveyFatigue is the estate's window of one satisfaction survey per
	// resident ("30d", "720h", "off" for none); empty keeps the daemon's
	// OUTREACH_SURVEY_FATIGUE. See SurveyWindow.
	SurveyFatigue string `json:"survey_fatigue,omitempty"`
	// CaseLimits override the response-time limits and follow-up delays
	// of cases (CaseLimits' text form, e.g. "lift: acknowledge=10m");
	// empty keeps OUTREACH_CASE_LIMITS and the defaults.
	CaseLimits string    `json:"case_limits,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// DisplayName is the name messages sign with: the estate's name with the
// company's ("万科物业 阳光花园"), or whichever is set.
func (e Estate) DisplayName() string {
	switch {
	case e.Company != "" && e.Name != "" && e.Name != e.Company:
		return e.Company + " " + e.Name
	case e.Name != "":
		return e.Name
	}
	return e.Company
}

var estateID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// CheckEstateID accepts ids of 1-64 lower-case letters, digits, '_' and
// '-', starting with a letter or digit: they appear in URLs, metric labels
// and import files.
func CheckEstateID(id string) error {
	if !estateID.MatchString(id) {
		return fmt.Errorf("estate id %q: want 1-64 lower-case letters, digits, '_' or '-', starting with a letter or digit", id)
	}
	return nil
}

// CheckSMSSignature accepts an empty signature (none) or one in 【】 with
// 2-16 characters between, such as 【阳光花园物业】, as carriers register
// them.
func CheckSMSSignature(sig string) error {
	if sig == "" {
		return nil
	}
	inner, ok := strings.CutPrefix(sig, "【")
	if ok {
		inner, ok = strings.CutSuffix(inner, "】")
	}
	if !ok || strings.ContainsAny(inner, "【】") {
		return fmt.Errorf("sms_signature %q: want the registered signature in 【】, e.g. 【阳光花园物业】", sig)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(inner)); n < 2 || n > 16 {
		return fmt.Errorf("sms_signature %q: want 2-16 characters between 【 and 】", sig)
	}
	return nil
}

// Check validates an estate as stored: the id, a name (the default estate
// may do without: templates then speak as "the property service centre"), the signature, the
// Reply-To address, the time zone and quiet hours. loadZone and quiet
// check the last two (the policy package owns their syntax); nil skips.
func (e Estate) Check(loadZone func(string) error, quiet func(string) error) error {
	var errs []error
	if err := CheckEstateID(e.ID); err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(e.Name) == "" && e.ID != DefaultEstateID {
		errs = append(errs, errors.New("name: an estate needs a name"))
	}
	if err := CheckSMSSignature(e.SMSSignature); err != nil {
		errs = append(errs, err)
	}
	if e.ReplyTo != "" {
		if _, err := mail.ParseAddress(e.ReplyTo); err != nil {
			errs = append(errs, fmt.Errorf("reply_to %q: not an email address: %w", e.ReplyTo, err))
		}
	}
	if e.TimeZone != "" && loadZone != nil {
		if err := loadZone(e.TimeZone); err != nil {
			errs = append(errs, fmt.Errorf("time_zone %q: %w", e.TimeZone, err))
		}
	}
	if _, _, err := e.SurveyWindow(); err != nil {
		errs = append(errs, err)
	}
	if _, err := e.CaseLimitsOf(); err != nil {
		errs = append(errs, err)
	}
	if e.QuietHours != "" && quiet != nil {
		if err := quiet(e.QuietHours); err != nil {
			errs = append(errs, fmt.Errorf("quiet_hours %q: %w", e.QuietHours, err))
		}
	}
	return errors.Join(errs...)
}

// SurveyWindow reads SurveyFatigue: the window and whether the estate
// sets one (false: the daemon's applies). "off" and "0" are a window of 0,
// no limit; other values are periods (ParsePeriod).
func (e Estate) SurveyWindow() (window time.Duration, set bool, err error) {
	s := strings.TrimSpace(e.SurveyFatigue)
	switch s {
	case "":
		return 0, false, nil
	case "off", "0":
		return 0, true, nil
	}
	d, err := ParsePeriod(s)
	if err != nil {
		return 0, false, fmt.Errorf("survey_fatigue %q: want a period such as 30d or 720h, or off", e.SurveyFatigue)
	}
	return d, true, nil
}

// ErrUnknownEstate is returned (wrapped) when a resident, a job or a token
// names an estate that does not exist.
var ErrUnknownEstate = errors.New("unknown estate")

// ErrInUse is returned (wrapped) when a record cannot be deleted because
// others refer to it (an estate with residents).
var ErrInUse = errors.New("in use")

// EstateStore keeps the estates. SQLite and PostgreSQL implement it with
// the same behaviour (see store/storetest).
type EstateStore interface {
	// CreateEstate stores a new estate; CreatedAt and UpdatedAt are set to
	// the time of the call. An id in use wraps ErrExists.
	CreateEstate(ctx context.Context, e Estate) error
	// Estate returns one estate; an unknown id wraps ErrNotFound.
	Estate(ctx context.Context, id string) (Estate, error)
	// Estates lists every estate, ordered by id.
	Estates(ctx context.Context) ([]Estate, error)
	// UpdateEstate changes one estate atomically (read, fn, write in one
	// transaction); fn must not change the id nor use the store. UpdatedAt
	// is set to the time of the call. An unknown id wraps ErrNotFound.
	UpdateEstate(ctx context.Context, id string, fn func(*Estate) error) (Estate, error)
	// DeleteEstate removes an estate that no resident belongs to and no
	// active token is limited to (a new estate of the same id would be
	// that token's); one with either wraps ErrInUse, the default estate is
	// refused (ErrInUse), an unknown id wraps ErrNotFound.
	DeleteEstate(ctx context.Context, id string) error
}

// Sees reports whether a token may see records of estate: an unlimited
// token sees every estate.
func (t Token) Sees(estate string) bool {
	if len(t.Estates) == 0 {
		return true
	}
	if estate == "" {
		estate = DefaultEstateID
	}
	return slices.Contains(t.Estates, estate)
}

// Limited reports whether the token is limited to some estates.
func (t Token) Limited() bool { return len(t.Estates) > 0 }

// ParseEstateIDs reads a comma-separated list of estate ids ("a,b") into a
// sorted set; an empty string is no limit (nil).
func ParseEstateIDs(s string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		id := strings.TrimSpace(part)
		if id == "" {
			continue
		}
		if err := CheckEstateID(id); err != nil {
			return nil, err
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}
