// Package storetest is the conformance suite for outreach.Store: every
// store (SQLite, PostgreSQL) runs the same tests, so they behave the same.
//
// A driver's test calls Run with a function that opens a fresh, empty store
// and closes it in t.Cleanup; every subtest opens its own and runs in
// parallel.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// Run runs the conformance suite against the stores that open returns:
// every test of every group, each in a parallel subtest of its own.
func Run(t *testing.T, open func(t *testing.T) outreach.Store) {
	t.Helper()
	for _, group := range [][]conformanceTest{residentTests, archiveTests, campaignTests, tokenTests, loopTests, estateTests, consoleTests} {
		for _, tt := range group {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.run(t, open)
			})
		}
	}
}

// conformanceTest is one test of the suite, run on a store of its own.
type conformanceTest struct {
	name string
	run  func(t *testing.T, open func(t *testing.T) outreach.Store)
}

// residentTests cover the resident directory: upserts, look-ups, audiences, opt-outs, edits, pages.
var residentTests = []conformanceTest{
	{"Ping", testPing},
	{"UpsertResidentsCounts", testUpsertResidentsCounts},
	{"ResidentRoundTrip", testResidentRoundTrip},
	{"ResidentReplaced", testResidentReplaced},
	{"ResidentNotFound", testResidentNotFound},
	{"UpsertResidentsRejects", testUpsertResidentsRejects},
	{"ResidentsAudience", testResidentsAudience},
	{"ResidentsMatchesAudience", testResidentsMatchesAudience},
	{"ResidentsOrderAndPages", testResidentsOrderAndPages},
	{"ResidentsStopsOnError", testResidentsStopsOnError},
	{"ResidentsCallbackUsesStore", testResidentsCallbackUsesStore},
	{"UpsertKeepsOptOuts", testUpsertKeepsOptOuts},
	{"SetOptOut", testSetOptOut},
	{"SetOptOutErrors", testSetOptOutErrors},
	{"SetOptOutConcurrent", testSetOptOutConcurrent},
	{"UpdateResident", testUpdateResident},
	{"UpdateResidentErrors", testUpdateResidentErrors},
	{"UpdateResidentConcurrent", testUpdateResidentConcurrent},
	{"ListResidentsPages", testListResidentsPages},
	{"ListResidentsMatchesAudience", testListResidentsMatchesAudience},
	{"ListResidentsLimits", testListResidentsLimits},
	{"ResidentsByID", testResidentsByID},
	{"ResidentsByPhone", testResidentsByPhone},
	{"DeleteResidents", testDeleteResidents},
}

// archiveTests cover the archive: records, outcomes, statuses, replies, search, walks, deletes, history, counts.
var archiveTests = []conformanceTest{
	{"RecordRoundTrip", testRecordRoundTrip},
	{"RecordUpdates", testRecordUpdates},
	{"RecordRejects", testRecordRejects},
	{"RecordEmpty", testRecordEmpty},
	{"RecordBatchOf1000", testRecordBatchOf1000},
	{"RecordConcurrent", testRecordConcurrent},
	{"Accepted", testAccepted},
	{"Outcomes", testOutcomes},
	{"OutcomesOf", testOutcomesOf},
	{"UpdateStatusSequences", testUpdateStatusSequences},
	{"UpdateStatusErrors", testUpdateStatusErrors},
	{"UpdateStatusConcurrent", testUpdateStatusConcurrent},
	{"RecordReply", testRecordReply},
	{"SearchFilters", testSearchFilters},
	{"SearchDefaultLimit", testSearchDefaultLimit},
	{"SearchNegativeLimit", testSearchNegativeLimit},
	{"CanceledContext", testCanceledContext},
	{"WalkVisitsEachOnceInOrder", testWalkVisitsEachOnceInOrder},
	{"WalkStopsOnError", testWalkStopsOnError},
	{"DeleteDeliveries", testDeleteDeliveries},
	{"HistoryOfRecord", testHistoryOfRecord},
	{"HistoryOfReplyAndOptOut", testHistoryOfReplyAndOptOut},
	{"SetNote", testSetNote},
	{"SearchPages", testSearchPages},
	{"PurgeContent", testPurgeContent},
	{"DeleteDropsHistory", testDeleteDropsHistory},
	{"CountDeliveries", testCountDeliveries},
	{"FailureReasons", testFailureReasons},
	{"StoredCounts", testStoredCounts},
}

// campaignTests cover campaigns.
var campaignTests = []conformanceTest{
	{"CampaignRoundTrip", testCampaignRoundTrip},
	{"CampaignErrors", testCampaignErrors},
	{"CampaignsOrder", testCampaignsOrder},
	{"DueCampaigns", testDueCampaigns},
	{"UpdateCampaign", testUpdateCampaign},
	{"UpdateCampaignConcurrent", testUpdateCampaignConcurrent},
	{"CampaignStatusCounts", testCampaignStatusCounts},
}

// tokenTests cover API tokens.
var tokenTests = []conformanceTest{
	{"TokenRoundTrip", testTokenRoundTrip},
	{"TokenErrors", testTokenErrors},
	{"TokenRevokeAndTouch", testTokenRevokeAndTouch},
	{"TokenConcurrentTouch", testTokenConcurrentTouch},
}

// loopTests cover the satisfaction and complaint loops: surveys and cases.
var loopTests = []conformanceTest{
	{"SurveyRoundTrip", testSurveyRoundTrip},
	{"SurveyUpdate", testSurveyUpdate},
	{"SurveysFilter", testSurveysFilter},
	{"ExpireSurveys", testExpireSurveys},
	{"CaseRoundTrip", testCaseRoundTrip},
	{"CaseRejects", testCaseRejects},
	{"CaseUpdate", testCaseUpdate},
	{"CasesFilter", testCasesFilter},
	{"DueCases", testDueCases},
}

// estateTests cover estates and what is limited to them.
var estateTests = []conformanceTest{
	{"Estates", testEstates},
	{"ResidentsInEstates", testResidentsInEstates},
	{"ArchiveByEstate", testArchiveByEstate},
	{"TokenEstates", testTokenEstates},
}

// consoleTests cover the console's users, sessions and audit log.
var consoleTests = []conformanceTest{
	{"ConsoleUsers", testConsoleUsers},
	{"ConsoleUserUpdate", testConsoleUserUpdate},
	{"ConsoleSessions", testConsoleSessions},
	{"AuditLog", testAuditLog},
}

func testPing(t *testing.T, open func(t *testing.T) outreach.Store) {
	if err := open(t).Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// base is the time the fixtures are built around.
var base = time.Date(2025, time.January, 28, 9, 30, 0, 0, time.UTC)

// shanghai is a zone other than UTC, to prove the stores return UTC.
var shanghai = time.FixedZone("CST", 8*60*60)

// stored is t as a store gives it back: UTC, to the microsecond.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timeDiff describes how got differs from want ("" when it does not). The
// location must be UTC, not just the instant.
func timeDiff(name string, got, want time.Time) string {
	if !got.Equal(want) || got.Location() != time.UTC {
		return fmt.Sprintf("%s = %s, want %s", name, got.Format(time.RFC3339Nano+" MST"), want.Format(time.RFC3339Nano+" MST"))
	}
	return ""
}

func mustUpsert(t *testing.T, s outreach.Store, rs ...outreach.Resident) outreach.ImportResult {
	t.Helper()
	res, err := s.UpsertResidents(t.Context(), rs)
	if err != nil {
		t.Fatalf("UpsertResidents: %v", err)
	}
	return res
}

func mustRecord(t *testing.T, s outreach.Store, ds ...outreach.Delivery) {
	t.Helper()
	if err := s.Record(t.Context(), ds); err != nil {
		t.Fatalf("Record: %v", err)
	}
}

func mustSearch(t *testing.T, s outreach.Store, f outreach.Filter) []outreach.Delivery {
	t.Helper()
	ds, err := s.Search(t.Context(), f)
	if err != nil {
		t.Fatalf("Search(%+v): %v", f, err)
	}
	return ds
}

// walk collects the ids of the residents in a.
func walk(t *testing.T, s outreach.Store, a outreach.Audience) []string {
	t.Helper()
	var ids []string
	err := s.Residents(t.Context(), a, func(r outreach.Resident) error {
		ids = append(ids, r.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("Residents(%+v): %v", a, err)
	}
	return ids
}

func ids(ds []outreach.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// equalIDs compares id lists, treating nil and empty alike.
func equalIDs(got, want []string) bool {
	return len(got) == len(want) && (len(got) == 0 || reflect.DeepEqual(got, want))
}

// waitCtx is a context for work that must not hang the suite if a store
// deadlocks.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
