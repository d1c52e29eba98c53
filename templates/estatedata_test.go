package templates

import (
	"maps"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestEstateDataCached: .Estate is kept per estate identity, and an edit
// of any field it shows gives the edited values, never the kept ones.
func TestEstateDataCached(t *testing.T) {
	t.Parallel()
	e := outreach.Estate{ID: "cached-sunshine", Name: "阳光花园", Company: "万科物业", ServicePhone: " 0755-11110001 ", SMSSignature: "【阳光花园物业】"}
	want := map[string]any{"ID": "cached-sunshine", "Name": "阳光花园", "Company": "万科物业", "DisplayName": "万科物业 阳光花园",
		"ServicePhone": "0755-11110001", "Signature": "【阳光花园物业】"}
	for range 2 { // built, then kept
		if got := estateData(e); !maps.Equal(got, want) {
			t.Fatalf("estateData = %v, want %v", got, want)
		}
	}
	edits := []func(*outreach.Estate){
		func(e *outreach.Estate) { e.Name = "新名" }, func(e *outreach.Estate) { e.Company = "新公司" },
		func(e *outreach.Estate) { e.ServicePhone = "1" }, func(e *outreach.Estate) { e.EmergencyPhone = "2" },
		func(e *outreach.Estate) { e.OfficeHours = "3" }, func(e *outreach.Estate) { e.Address = "4" },
		func(e *outreach.Estate) { e.SMSSignature = "5" }, func(e *outreach.Estate) { e.ID = "cached-other" },
	}
	for i, edit := range edits {
		edited := e
		edit(&edited)
		fresh := estateIdentity{edited.ID, edited.Name, edited.Company, edited.ServicePhone, edited.EmergencyPhone,
			edited.OfficeHours, edited.Address, edited.SMSSignature}.data()
		if got := estateData(edited); !maps.Equal(got, fresh) || maps.Equal(got, want) {
			t.Errorf("edit %d: estateData = %v, want %v", i, got, fresh)
		}
	}
}
