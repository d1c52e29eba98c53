package config

import (
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
)

// estateVars fill in the default estate: the identity of a single-estate
// install, or of residents who name no estate. Other estates are kept in
// the archive database (`outreach estates`, /v1/estates).
var estateVars = []Var{
	{"OUTREACH_COMPANY_NAME", "", "property company the default estate's messages speak for, e.g. 万科物业 (empty: generic words)"},
	{"OUTREACH_SERVICE_PHONE", "", "service-centre phone of the default estate: the number to call when a job gives no data.contact"},
	{"OUTREACH_SMS_SIGNATURE", "", "registered SMS signature of the default estate, in 【】, e.g. 【阳光花园物业】 (starts every SMS)"},
}

// DefaultEstate is what the settings say of the default estate; the
// daemon writes the fields that are set into it at start.
type DefaultEstate struct {
	Company      string // OUTREACH_COMPANY_NAME
	ServicePhone string // OUTREACH_SERVICE_PHONE
	SMSSignature string // OUTREACH_SMS_SIGNATURE
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

func loadEstate(get func(name, def string) string, errs *[]error) DefaultEstate {
	d := DefaultEstate{
		Company:      get("OUTREACH_COMPANY_NAME", ""),
		ServicePhone: get("OUTREACH_SERVICE_PHONE", ""),
		SMSSignature: get("OUTREACH_SMS_SIGNATURE", ""),
	}
	if err := outreach.CheckSMSSignature(d.SMSSignature); err != nil {
		*errs = append(*errs, fmt.Errorf("OUTREACH_SMS_SIGNATURE: %w", err))
	}
	return d
}
