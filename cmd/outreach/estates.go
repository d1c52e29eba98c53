package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/api"
)

// estateFields are the estate's settable fields, by their name in JSON
// and `set`; estateFlags are the same fields as the flags of `add` (with
// '-' for '_'), with their help.
var estateFields = []struct {
	name  string
	field func(e *outreach.Estate) *string
}{
	{"name", func(e *outreach.Estate) *string { return &e.Name }},
	{"company", func(e *outreach.Estate) *string { return &e.Company }},
	{"service_phone", func(e *outreach.Estate) *string { return &e.ServicePhone }},
	{"office_hours", func(e *outreach.Estate) *string { return &e.OfficeHours }},
	{"emergency_phone", func(e *outreach.Estate) *string { return &e.EmergencyPhone }},
	{"address", func(e *outreach.Estate) *string { return &e.Address }},
	{"sms_signature", func(e *outreach.Estate) *string { return &e.SMSSignature }},
	{"email_from_name", func(e *outreach.Estate) *string { return &e.EmailFromName }},
	{"reply_to", func(e *outreach.Estate) *string { return &e.ReplyTo }},
	{"time_zone", func(e *outreach.Estate) *string { return &e.TimeZone }},
	{"locale", func(e *outreach.Estate) *string { return &e.Locale }},
	{"quiet_hours", func(e *outreach.Estate) *string { return &e.QuietHours }},
	{"survey_fatigue", func(e *outreach.Estate) *string { return &e.SurveyFatigue }},
	{"case_limits", func(e *outreach.Estate) *string { return &e.CaseLimits }},
}

type estateFlags struct {
	Name           string `name:"name" help:"what residents call the estate, e.g. 阳光花园"`
	Company        string `name:"company" help:"the property company, e.g. 万科物业"`
	ServicePhone   string `name:"service-phone" help:"the service centre's number (templates use it when a job gives no contact)"`
	OfficeHours    string `name:"office-hours" help:"the service centre's hours as residents read them"`
	EmergencyPhone string `name:"emergency-phone" help:"the after-hours number"`
	Address        string `name:"address" help:"the service centre's address"`
	SMSSignature   string `name:"sms-signature" help:"the registered SMS signature in 【】, e.g. 【阳光花园物业】 (starts every SMS)"`
	EmailFromName  string `name:"email-from-name" help:"display name of the From header (the address stays OUTREACH_EMAIL_FROM)"`
	ReplyTo        string `name:"reply-to" help:"where residents' email answers go"`
	TimeZone       string `name:"time-zone" help:"IANA zone of residents without one, e.g. Asia/Shanghai"`
	Locale         string `name:"locale" help:"default locale of the estate's residents, e.g. zh-CN"`
	QuietHours     string `name:"quiet-hours" help:"quiet hours of the estate, in OUTREACH_QUIET_HOURS form (empty: the daemon's)"`
	SurveyFatigue  string `name:"survey-fatigue" help:"one satisfaction survey per resident in this window, e.g. 60d, or off (empty: OUTREACH_SURVEY_FATIGUE)"`
	CaseLimits     string `name:"case-limits" help:"response-time limits of cases, e.g. 'lift: acknowledge=10m, respond=1h' (empty: OUTREACH_CASE_LIMITS and the defaults)"`
}

// apply sets the flags given on est.
func (f estateFlags) apply(est *outreach.Estate) {
	est.Name = f.Name
	est.Company = f.Company
	est.ServicePhone = f.ServicePhone
	est.OfficeHours = f.OfficeHours
	est.EmergencyPhone = f.EmergencyPhone
	est.Address = f.Address
	est.SMSSignature = f.SMSSignature
	est.EmailFromName = f.EmailFromName
	est.ReplyTo = f.ReplyTo
	est.TimeZone = f.TimeZone
	est.Locale = f.Locale
	est.QuietHours = f.QuietHours
	est.SurveyFatigue = f.SurveyFatigue
	est.CaseLimits = f.CaseLimits
}

const estateFieldList = "name, company, service_phone, office_hours, emergency_phone, address, sms_signature, email_from_name, reply_to, time_zone, locale, quiet_hours, survey_fatigue, case_limits"

// estatesCmd manages the estates: the identity messages to their
// residents speak with, and the boundary of estate-limited tokens.
type estatesCmd struct {
	Add    estatesAddCmd    `cmd:"" help:"add an estate"`
	List   estatesListCmd   `cmd:"" help:"list the estates"`
	Show   estatesShowCmd   `cmd:"" help:"show an estate"`
	Set    estatesSetCmd    `cmd:"" help:"change an estate's fields: ${estate_fields}"`
	Delete estatesDeleteCmd `cmd:"" help:"delete an estate; an estate with residents cannot be deleted; the default estate stays"`
}

// estateArg is the estate a command is about.
type estateArg struct {
	ID string `arg:"" name:"ID" help:"the estate's id"`
}

// printEstateErrors prints each problem of a refused estate on its line.
func (e *env) printEstateErrors(cmd string, err error) {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		fmt.Fprintf(e.stderr, "outreach %s: %s\n", cmd, line)
	}
}

type estatesAddCmd struct {
	ID string `name:"id" help:"the estate's id: lower-case letters, digits, '_' or '-' (used in imports, URLs and tokens)"`
	estateFlags
	JSON bool `name:"json" help:"print the estate as JSON"`
}

func (c *estatesAddCmd) run(ctx context.Context, e *env) int {
	est := outreach.Estate{ID: c.ID}
	c.apply(&est)
	if err := api.CheckEstate(&est); err != nil {
		e.printEstateErrors("estates add", err)
		return 2
	}
	st, _, status := e.openStore(ctx, "estates add")
	if st == nil {
		return status
	}
	defer st.Close()
	if err := st.CreateEstate(ctx, est); err != nil {
		if errors.Is(err, outreach.ErrExists) {
			return e.fail("estates add", fmt.Errorf("an estate %q exists already (change it with `outreach estates set %s field=value`)", est.ID, est.ID))
		}
		return e.fail("estates add", err)
	}
	got, err := st.Estate(ctx, est.ID)
	if err != nil {
		return e.fail("estates add", err)
	}
	return e.printEstate("estates add", got, c.JSON)
}

type estatesListCmd struct{ listFlags }

func (c *estatesListCmd) run(ctx context.Context, e *env) int {
	return listCommand(ctx, e, "estates list", c.JSON, outreach.Store.Estates,
		[]string{"ID", "NAME", "COMPANY", "SERVICE PHONE", "SMS SIGNATURE", "TIME ZONE"},
		func(est outreach.Estate) []string {
			return []string{est.ID, dash(est.Name), dash(est.Company), dash(est.ServicePhone), dash(est.SMSSignature), dash(est.TimeZone)}
		})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type estatesShowCmd struct {
	estateArg
	JSON bool `name:"json" help:"print the estate as JSON"`
}

func (c *estatesShowCmd) run(ctx context.Context, e *env) int {
	st, _, code := e.openStore(ctx, "estates show")
	if st == nil {
		return code
	}
	defer st.Close()
	est, err := st.Estate(ctx, c.ID)
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach estates show: no estate %q (see `outreach estates list`)\n", c.ID)
		return 1
	}
	if err != nil {
		return e.fail("estates show", err)
	}
	return e.printEstate("estates show", est, c.JSON)
}

type estatesSetCmd struct {
	estateArg
	Fields []string `arg:"" name:"field=value" help:"the fields to change: ${estate_fields}"`
	JSON   bool     `name:"json" help:"print the changed estate as JSON"`
}

func (c *estatesSetCmd) run(ctx context.Context, e *env) int {
	type assignment struct {
		field func(*outreach.Estate) *string
		value string
	}
	var set []assignment
	for _, a := range c.Fields {
		name, value, ok := strings.Cut(a, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		var field func(*outreach.Estate) *string
		for _, f := range estateFields {
			if f.name == name || strings.ReplaceAll(f.name, "_", "-") == name {
				field = f.field
			}
		}
		if !ok || field == nil {
			fmt.Fprintf(e.stderr, "outreach estates set: %q: want field=value (fields: %s)\n", a, estateFieldList)
			return 2
		}
		set = append(set, assignment{field, strings.TrimSpace(value)})
	}
	st, _, code := e.openStore(ctx, "estates set")
	if st == nil {
		return code
	}
	defer st.Close()
	var invalid error
	est, err := st.UpdateEstate(ctx, c.ID, func(est *outreach.Estate) error {
		for _, a := range set {
			*a.field(est) = a.value
		}
		invalid = api.CheckEstate(est) // as /v1/estates checks it: trimmed, the locale normalized
		return invalid
	})
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		fmt.Fprintf(e.stderr, "outreach estates set: no estate %q (add it with `outreach estates add`)\n", c.ID)
		return 1
	case invalid != nil:
		e.printEstateErrors("estates set", invalid)
		return 2
	case err != nil:
		return e.fail("estates set", err)
	}
	return e.printEstate("estates set", est, c.JSON)
}

type estatesDeleteCmd struct{ estateArg }

func (c *estatesDeleteCmd) run(ctx context.Context, e *env) int {
	st, _, code := e.openStore(ctx, "estates delete")
	if st == nil {
		return code
	}
	defer st.Close()
	err := st.DeleteEstate(ctx, c.ID)
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		fmt.Fprintf(e.stderr, "outreach estates delete: no estate %q\n", c.ID)
		return 1
	case errors.Is(err, outreach.ErrInUse) && strings.Contains(err.Error(), "residents"):
		return e.fail("estates delete", fmt.Errorf("%w (move or remove its residents first)", err))
	case errors.Is(err, outreach.ErrInUse):
		return e.fail("estates delete", err) // the store says what holds it (the default estate, a token)
	case err != nil:
		return e.fail("estates delete", err)
	}
	fmt.Fprintf(e.stdout, "deleted estate %s\n", c.ID)
	return 0
}

func (e *env) printEstate(cmd string, est outreach.Estate, asJSON bool) int {
	if asJSON {
		return e.printJSON(cmd, est)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\n", est.ID)
	for _, f := range estateFields {
		if v := *f.field(&est); v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", f.name, v)
		}
	}
	fmt.Fprintf(tw, "updated:\t%s\n", localTime(&est.UpdatedAt))
	if err := tw.Flush(); err != nil {
		return e.fail(cmd, err)
	}
	return 0
}

// estateIDs lists the ids of the estates that exist.
func estateIDs(ctx context.Context, st outreach.Store) ([]string, error) {
	estates, err := st.Estates(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(estates))
	for i, est := range estates {
		ids[i] = est.ID
	}
	return ids, nil
}
