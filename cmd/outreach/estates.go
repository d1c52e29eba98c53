package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/api"
)

const estatesUsage = `usage:
  outreach estates add --id ID --name NAME [--company C] [--service-phone P] [--sms-signature 【…】] [field flags...] [--json]
  outreach estates list [--json]
  outreach estates show ID [--json]
  outreach estates set ID field=value...
  outreach estates delete ID
      fields: ` + estateFieldList + `
      an estate with residents cannot be deleted; the default estate stays`

// estateFields are the estate's settable fields, by their name in JSON,
// `set` and (with '-' for '_') the flags of `add`.
var estateFields = []struct {
	name, usage string
	field       func(e *outreach.Estate) *string
}{
	{"name", "what residents call the estate, e.g. 阳光花园", func(e *outreach.Estate) *string { return &e.Name }},
	{"company", "the property company, e.g. 万科物业", func(e *outreach.Estate) *string { return &e.Company }},
	{"service_phone", "the service centre's number (templates use it when a job gives no contact)", func(e *outreach.Estate) *string { return &e.ServicePhone }},
	{"office_hours", "the service centre's hours as residents read them", func(e *outreach.Estate) *string { return &e.OfficeHours }},
	{"emergency_phone", "the after-hours number", func(e *outreach.Estate) *string { return &e.EmergencyPhone }},
	{"address", "the service centre's address", func(e *outreach.Estate) *string { return &e.Address }},
	{"sms_signature", "the registered SMS signature in 【】, e.g. 【阳光花园物业】 (starts every SMS)", func(e *outreach.Estate) *string { return &e.SMSSignature }},
	{"email_from_name", "display name of the From header (the address stays OUTREACH_EMAIL_FROM)", func(e *outreach.Estate) *string { return &e.EmailFromName }},
	{"reply_to", "where residents' email answers go", func(e *outreach.Estate) *string { return &e.ReplyTo }},
	{"time_zone", "IANA zone of residents without one, e.g. Asia/Shanghai", func(e *outreach.Estate) *string { return &e.TimeZone }},
	{"locale", "default locale of the estate's residents, e.g. zh-CN", func(e *outreach.Estate) *string { return &e.Locale }},
	{"quiet_hours", "quiet hours of the estate, in OUTREACH_QUIET_HOURS form (empty: the daemon's)", func(e *outreach.Estate) *string { return &e.QuietHours }},
	{"survey_fatigue", "one satisfaction survey per resident in this window, e.g. 60d, or off (empty: OUTREACH_SURVEY_FATIGUE)", func(e *outreach.Estate) *string { return &e.SurveyFatigue }},
	{"case_limits", "response-time limits of cases, e.g. \"lift: acknowledge=10m, respond=1h\" (empty: OUTREACH_CASE_LIMITS and the defaults)", func(e *outreach.Estate) *string { return &e.CaseLimits }},
}

const estateFieldList = "name, company, service_phone, office_hours, emergency_phone, address, sms_signature, email_from_name, reply_to, time_zone, locale, quiet_hours, survey_fatigue, case_limits"

// cmdEstates manages the estates: the identity messages to their
// residents speak with, and the boundary of estate-limited tokens.
func cmdEstates(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, estatesUsage)
		return 2
	}
	switch args[0] {
	case "add":
		return estatesAdd(ctx, e, args[1:])
	case "list":
		return estatesList(ctx, e, args[1:])
	case "show":
		return estatesShow(ctx, e, args[1:])
	case "set":
		return estatesSet(ctx, e, args[1:])
	case "delete":
		return estatesDelete(ctx, e, args[1:])
	case "help", "-h", "--help":
		fmt.Fprintln(e.stdout, estatesUsage)
		return 0
	}
	fmt.Fprintf(e.stderr, "outreach estates: unknown subcommand %q\n%s\n", args[0], estatesUsage)
	return 2
}

// printEstateErrors prints each problem of a refused estate on its line.
func (e *env) printEstateErrors(cmd string, err error) {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		fmt.Fprintf(e.stderr, "outreach %s: %s\n", cmd, line)
	}
}

func estatesAdd(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("estates add", flag.ContinueOnError)
	var est outreach.Estate
	fs.StringVar(&est.ID, "id", "", "the estate's id: lower-case letters, digits, '_' or '-' (used in imports, URLs and tokens)")
	for _, f := range estateFields {
		fs.StringVar(f.field(&est), strings.ReplaceAll(f.name, "_", "-"), "", f.usage)
	}
	asJSON := fs.Bool("json", false, "print the estate as JSON")
	if ok, status := e.parseFlags(fs, args); !ok {
		return status
	}
	if err := api.CheckEstate(&est); err != nil {
		e.printEstateErrors("estates add", err)
		return 2
	}
	st, status := e.openStore(ctx)
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
	return e.printEstate("estates add", got, *asJSON)
}

func estatesList(ctx context.Context, e *env, args []string) int {
	return listCommand(ctx, e, "estates list", args, outreach.Store.Estates,
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

func estatesShow(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("estates show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the estate as JSON")
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "usage: outreach estates show ID [--json]")
		return 2
	}
	st, code := e.openStore(ctx)
	if st == nil {
		return code
	}
	defer st.Close()
	est, err := st.Estate(ctx, pos[0])
	if errors.Is(err, outreach.ErrNotFound) {
		fmt.Fprintf(e.stderr, "outreach estates show: no estate %q (see `outreach estates list`)\n", pos[0])
		return 1
	}
	if err != nil {
		return e.fail("estates show", err)
	}
	return e.printEstate("estates show", est, *asJSON)
}

func estatesSet(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("estates set", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the changed estate as JSON")
	pos, ok, status := e.parseInterspersed(fs, args)
	if !ok {
		return status
	}
	if len(pos) < 2 {
		fmt.Fprintln(e.stderr, "usage: outreach estates set ID field=value...\n  fields: "+estateFieldList)
		return 2
	}
	type assignment struct {
		field func(*outreach.Estate) *string
		value string
	}
	var set []assignment
	for _, a := range pos[1:] {
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
	st, code := e.openStore(ctx)
	if st == nil {
		return code
	}
	defer st.Close()
	var invalid error
	est, err := st.UpdateEstate(ctx, pos[0], func(est *outreach.Estate) error {
		for _, a := range set {
			*a.field(est) = a.value
		}
		invalid = api.CheckEstate(est) // as /v1/estates checks it: trimmed, the locale normalized
		return invalid
	})
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		fmt.Fprintf(e.stderr, "outreach estates set: no estate %q (add it with `outreach estates add`)\n", pos[0])
		return 1
	case invalid != nil:
		e.printEstateErrors("estates set", invalid)
		return 2
	case err != nil:
		return e.fail("estates set", err)
	}
	return e.printEstate("estates set", est, *asJSON)
}

func estatesDelete(ctx context.Context, e *env, args []string) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(e.stderr, "usage: outreach estates delete ID")
		return 2
	}
	st, code := e.openStore(ctx)
	if st == nil {
		return code
	}
	defer st.Close()
	err := st.DeleteEstate(ctx, args[0])
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		fmt.Fprintf(e.stderr, "outreach estates delete: no estate %q\n", args[0])
		return 1
	case errors.Is(err, outreach.ErrInUse) && strings.Contains(err.Error(), "residents"):
		return e.fail("estates delete", fmt.Errorf("%w (move or remove its residents first)", err))
	case errors.Is(err, outreach.ErrInUse):
		return e.fail("estates delete", err) // the store says what holds it (the default estate, a token)
	case err != nil:
		return e.fail("estates delete", err)
	}
	fmt.Fprintf(e.stdout, "deleted estate %s\n", args[0])
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
