package normalize

import (
	"errors"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Token checks an API token before it is stored: an id, a valid name,
// known scopes, a hash; times in UTC to the microsecond, CreatedAt now
// when zero.
func Token(t outreach.Token, now time.Time) (outreach.Token, error) {
	switch {
	case t.ID == "":
		return t, errors.New("token: empty id")
	case t.Hash == "":
		return t, fmt.Errorf("token %q: empty hash", t.ID)
	case len(t.Scopes) == 0:
		return t, fmt.Errorf("token %q: no scopes", t.ID)
	}
	if err := outreach.CheckTokenName(t.Name); err != nil {
		return t, err
	}
	for _, s := range t.Scopes {
		if !s.Valid() {
			return t, fmt.Errorf("token %q: unknown scope %q", t.ID, s)
		}
	}
	if err := checkText(t.ID); err != nil {
		return t, fmt.Errorf("token: id: %w", err)
	}
	for _, e := range t.Estates {
		if err := outreach.CheckEstateID(e); err != nil {
			return t, fmt.Errorf("token %q: estates: %w", t.ID, err)
		}
	}
	t.Scopes = set(t.Scopes)
	t.Estates = set(t.Estates)
	t.CreatedAt = orNow(t.CreatedAt, Time(now))
	t.LastUsedAt = timePtr(t.LastUsedAt)
	t.RevokedAt = timePtr(t.RevokedAt)
	return t, nil
}

// Estate checks an estate before it is stored (outreach.Estate.Check
// without the zone and quiet-hours checks, which the callers facing
// people make): times in UTC to the microsecond, both set to now when
// CreatedAt is zero.
func Estate(e outreach.Estate, now time.Time) (outreach.Estate, error) {
	if err := e.Check(nil, nil); err != nil {
		return e, fmt.Errorf("estate %q: %w", e.ID, err)
	}
	for _, f := range []field{
		{"name", e.Name}, {"company", e.Company}, {"service_phone", e.ServicePhone},
		{"office_hours", e.OfficeHours}, {"emergency_phone", e.EmergencyPhone},
		{"address", e.Address}, {"sms_signature", e.SMSSignature},
		{"email_from_name", e.EmailFromName}, {"reply_to", e.ReplyTo},
		{"time_zone", e.TimeZone}, {"locale", e.Locale}, {"quiet_hours", e.QuietHours},
	} {
		if err := checkText(f.value); err != nil {
			return e, fmt.Errorf("estate %q: field %s: %w", e.ID, f.name, err)
		}
	}
	now = Time(now)
	e.CreatedAt = orNow(e.CreatedAt, now)
	e.UpdatedAt = now
	return e, nil
}
