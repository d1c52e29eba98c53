package config

import "github.com/outreach-dev/outreach/outreach"

// DefaultEstate is what the settings say of the default estate: the
// identity of a single-estate install, or of residents who name no estate
// (other estates are kept in the archive database: `outreach estates`,
// /v1/estates). The daemon writes the fields that are set into it at start.
type DefaultEstate struct {
	Company      string `env:"OUTREACH_COMPANY_NAME" group:"estate" help:"the property company the default estate speaks for, e.g. 万科物业; written into the default estate at start (see [Estates](estates.md)); empty: templates use generic words"`
	ServicePhone string `env:"OUTREACH_SERVICE_PHONE" group:"estate" help:"the default estate's service-centre phone: the number to call in messages whose job gives no data.contact"`
	SMSSignature string `env:"OUTREACH_SMS_SIGNATURE" group:"estate" help:"the default estate's registered SMS signature in 【】, e.g. 【阳光花园物业】, at the start of every SMS; refused at start when not in that form"`
}

// Apply sets the fields of the settings that are set on e and reports
// whether that changed it.
func (d DefaultEstate) Apply(e *outreach.Estate) bool {
	changed := false
	for _, f := range []struct {
		dst *string
		v   string
	}{{&e.Company, d.Company}, {&e.ServicePhone, d.ServicePhone}, {&e.SMSSignature, d.SMSSignature}} {
		if f.v != "" && *f.dst != f.v {
			*f.dst, changed = f.v, true
		}
	}
	return changed
}

func (d DefaultEstate) validate(r *report) {
	if !r.wants(GroupEstate) {
		return
	}
	if err := outreach.CheckSMSSignature(d.SMSSignature); err != nil {
		r.addErr("OUTREACH_SMS_SIGNATURE", err)
	}
}
