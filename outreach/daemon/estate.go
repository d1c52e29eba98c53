package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
)

// errUnchanged ends an UpdateEstate that has nothing to write.
var errUnchanged = errors.New("unchanged")

// applyDefaultEstate writes the settings that name the default estate's
// identity (OUTREACH_COMPANY_NAME, ...) into it, so that a single-estate
// install is configured by environment like everything else. Settings
// that are not set leave what `outreach estates set default ...` wrote.
func (d *Daemon) applyDefaultEstate(ctx context.Context, def config.DefaultEstate) error {
	_, err := d.Store.UpdateEstate(ctx, outreach.DefaultEstateID, func(e *outreach.Estate) error {
		if !def.Apply(e) {
			return errUnchanged
		}
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return nil
	case err != nil:
		return fmt.Errorf("default estate (OUTREACH_COMPANY_NAME, OUTREACH_SERVICE_PHONE, OUTREACH_SMS_SIGNATURE): %w", err)
	}
	d.logger.Info("default estate updated from the settings", "company", def.Company, "service_phone_set", def.ServicePhone != "", "sms_signature", def.SMSSignature)
	return nil
}
