package survey

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Target is the satisfied rate under which a row of the report is
// flagged: the practice reviews a service when fewer than 70% of answers
// are 4 or 5.
const Target = 0.70

// Groupings of the report (ReportOptions.By).
const (
	ByEstate   = "estate"
	ByBuilding = "building"
	ByService  = "service"
	ByWeek     = "week"
)

// Bys lists the groupings, the default first.
var Bys = []string{ByEstate, ByBuilding, ByService, ByWeek}

// ReportOptions choose the surveys of a report and how rows group them.
type ReportOptions struct {
	Estates  []string // any of these (a token's estates); nil: every estate
	Estate   string
	Building string
	Service  string
	Since    time.Time // surveys sent at or after
	Until    time.Time // ... and before (zero: now)
	By       string    // one of Bys; "" is ByEstate
}

// Row is one line of the report: the surveys of one group.
type Row struct {
	Estate   string `json:"estate,omitempty"`
	Building string `json:"building,omitempty"`
	Service  string `json:"service,omitempty"`
	Week     string `json:"week,omitempty"` // ISO week, 2026-W49
	// Sent is the surveys sent; Responses those with a score.
	Sent         int     `json:"sent"`
	Responses    int     `json:"responses"`
	ResponseRate float64 `json:"response_rate"`
	// Average is the mean score of the responses (0 without any).
	Average float64 `json:"average"`
	// Distribution counts the scores 1 to 5 (index 0 is score 1).
	Distribution [5]int `json:"distribution"`
	// SatisfiedRate is the share of responses that are 4 or 5.
	SatisfiedRate float64 `json:"satisfied_rate"`
	// BelowTarget flags a row with responses whose satisfied rate is
	// under Target.
	BelowTarget bool `json:"below_target"`
}

// Report is the satisfaction report.
type Report struct {
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	By     string    `json:"by"`
	Target float64   `json:"target"`
	Rows   []Row     `json:"rows"`
	Total  Row       `json:"total"`
}

// Lister lists surveys (outreach.SurveyStore).
type Lister interface {
	Surveys(ctx context.Context, f outreach.SurveyFilter) ([]outreach.Survey, error)
}

// CheckBy reports whether by is a grouping of the report.
func CheckBy(by string) error {
	if by == "" || slices.Contains(Bys, by) {
		return nil
	}
	return fmt.Errorf("want one of %v, got %q", Bys, by)
}

// BuildReport reads the surveys opt chooses and sums them up per group.
func BuildReport(ctx context.Context, st Lister, opt ReportOptions, now time.Time) (Report, error) {
	if err := CheckBy(opt.By); err != nil {
		return Report{}, err
	}
	by := cmp.Or(opt.By, ByEstate)
	until := opt.Until
	if until.IsZero() {
		until = now
	}
	f := outreach.SurveyFilter{Estates: opt.Estates, Building: opt.Building, Service: opt.Service, SentSince: opt.Since, SentUntil: until}
	var list []outreach.Survey
	if opt.Estate != "" {
		if opt.Estates != nil && !slices.Contains(opt.Estates, opt.Estate) {
			f.Estates = nil // an estate the caller does not see: no surveys
		} else {
			f.Estates = []string{opt.Estate}
		}
	}
	if opt.Estate == "" || f.Estates != nil {
		var err error
		if list, err = st.Surveys(ctx, f); err != nil {
			return Report{}, fmt.Errorf("satisfaction report: %w", err)
		}
	}
	rep := Report{Since: opt.Since.UTC(), Until: until.UTC(), By: by, Target: Target, Rows: []Row{}}
	index := map[Row]int{}
	var total Row
	for _, sv := range list {
		key := groupOf(sv, by)
		i, ok := index[key]
		if !ok {
			i = len(rep.Rows)
			index[key] = i
			rep.Rows = append(rep.Rows, key)
		}
		add(&rep.Rows[i], sv)
		add(&total, sv)
	}
	for i := range rep.Rows {
		finish(&rep.Rows[i])
	}
	finish(&total)
	rep.Total = total
	slices.SortFunc(rep.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Estate, b.Estate), cmp.Compare(a.Building, b.Building),
			cmp.Compare(a.Service, b.Service), cmp.Compare(a.Week, b.Week))
	})
	return rep, nil
}

// groupOf is the key of the row sv belongs to (a Row with only the
// grouping's fields set).
func groupOf(sv outreach.Survey, by string) Row {
	switch by {
	case ByBuilding:
		return Row{Estate: sv.Estate, Building: sv.Building}
	case ByService:
		return Row{Service: sv.Service}
	case ByWeek:
		y, w := sv.SentAt.ISOWeek()
		return Row{Week: fmt.Sprintf("%04d-W%02d", y, w)}
	}
	return Row{Estate: sv.Estate}
}

func add(r *Row, sv outreach.Survey) {
	r.Sent++
	if sv.Score >= MinScore && sv.Score <= MaxScore {
		r.Responses++
		r.Distribution[sv.Score-1]++
	}
}

func finish(r *Row) {
	if r.Sent > 0 {
		r.ResponseRate = round(float64(r.Responses) / float64(r.Sent))
	}
	if r.Responses == 0 {
		return
	}
	sum := 0
	for i, n := range r.Distribution {
		sum += (i + 1) * n
	}
	r.Average = round(float64(sum) / float64(r.Responses))
	r.SatisfiedRate = round(float64(r.Distribution[3]+r.Distribution[4]) / float64(r.Responses))
	r.BelowTarget = r.SatisfiedRate < Target
}

func round(x float64) float64 { return math.Round(x*10000) / 10000 }
