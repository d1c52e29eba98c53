package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

const (
	email = outreach.ChannelEmail
	sms   = outreach.ChannelSMS
)

func mustResident(t *testing.T, s outreach.Store, id string) outreach.Resident {
	t.Helper()
	r, err := s.Resident(t.Context(), id)
	if err != nil {
		t.Fatalf("Resident(%q): %v", id, err)
	}
	return r
}

// testUpsertKeepsOptOuts: an upsert (an import, a profile sync) adds
// opt-outs but never withdraws one.
func testUpsertKeepsOptOuts(t *testing.T, open func(t *testing.T) outreach.Store) {
	withOpts := func(cs []outreach.Channel, ks []outreach.Kind) outreach.Resident {
		r := resident("r1")
		r.OptOutChannels, r.OptOutKinds = cs, ks
		return r
	}
	tests := []struct {
		name      string
		batches   [][]outreach.Resident
		wantChans []outreach.Channel
		wantKinds []outreach.Kind
	}{
		{"upsert without opt-outs keeps them",
			[][]outreach.Resident{{withOpts([]outreach.Channel{sms}, []outreach.Kind{outreach.KindHolidayGreeting})}, {withOpts(nil, nil)}},
			[]outreach.Channel{sms}, []outreach.Kind{outreach.KindHolidayGreeting}},
		{"upsert adds to them",
			[][]outreach.Resident{{withOpts([]outreach.Channel{sms}, nil)}, {withOpts([]outreach.Channel{email, sms}, []outreach.Kind{outreach.KindFollowUp})}},
			[]outreach.Channel{email, sms}, []outreach.Kind{outreach.KindFollowUp}},
		{"same id twice in one batch",
			[][]outreach.Resident{{withOpts(nil, []outreach.Kind{outreach.KindMaintenanceNotice}), withOpts(nil, []outreach.Kind{outreach.KindFollowUp})}},
			nil, []outreach.Kind{outreach.KindFollowUp, outreach.KindMaintenanceNotice}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			for _, b := range tt.batches {
				mustUpsert(t, s, b...)
			}
			got := mustResident(t, s, "r1")
			if !slices.Equal(got.OptOutChannels, tt.wantChans) || !slices.Equal(got.OptOutKinds, tt.wantKinds) {
				t.Errorf("opt-outs = %q %q, want %q %q", got.OptOutChannels, got.OptOutKinds, tt.wantChans, tt.wantKinds)
			}
		})
	}
}

// testSetOptOut walks one resident through a sequence of opt-outs and
// opt-ins; a step that changes nothing must not touch UpdatedAt either.
func testSetOptOut(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	r := resident("r1")
	r.Name, r.Email = "Ann", "ann@example.com"
	mustUpsert(t, s, r, resident("r2"))
	steps := []struct {
		channel   outreach.Channel
		kind      outreach.Kind
		out       bool
		wantChans []outreach.Channel
		wantKinds []outreach.Kind
		changes   bool
	}{
		{sms, "", true, []outreach.Channel{sms}, nil, true},
		{sms, "", true, []outreach.Channel{sms}, nil, false},
		{email, "", true, []outreach.Channel{email, sms}, nil, true},
		{"", outreach.KindHolidayGreeting, true, []outreach.Channel{email, sms}, []outreach.Kind{outreach.KindHolidayGreeting}, true},
		{"", outreach.KindFollowUp, true, []outreach.Channel{email, sms}, []outreach.Kind{outreach.KindFollowUp, outreach.KindHolidayGreeting}, true},
		{sms, "", false, []outreach.Channel{email}, []outreach.Kind{outreach.KindFollowUp, outreach.KindHolidayGreeting}, true},
		{sms, "", false, []outreach.Channel{email}, []outreach.Kind{outreach.KindFollowUp, outreach.KindHolidayGreeting}, false},
		{"", outreach.KindFollowUp, false, []outreach.Channel{email}, []outreach.Kind{outreach.KindHolidayGreeting}, true},
		{email, "", false, nil, []outreach.Kind{outreach.KindHolidayGreeting}, true},
		{"", outreach.KindHolidayGreeting, false, nil, nil, true},
		{"", outreach.KindHolidayGreeting, false, nil, nil, false},
	}
	prev := mustResident(t, s, "r1")
	for i, st := range steps {
		before := time.Now().Truncate(time.Microsecond)
		if err := s.SetOptOut(t.Context(), "r1", st.channel, st.kind, st.out); err != nil {
			t.Fatalf("step %d: SetOptOut(%q, %q, %v): %v", i, st.channel, st.kind, st.out, err)
		}
		got := mustResident(t, s, "r1")
		if !slices.Equal(got.OptOutChannels, st.wantChans) || !slices.Equal(got.OptOutKinds, st.wantKinds) {
			t.Errorf("step %d: opt-outs = %q %q, want %q %q", i, got.OptOutChannels, got.OptOutKinds, st.wantChans, st.wantKinds)
		}
		switch {
		case st.changes && (got.UpdatedAt.Before(before) || got.UpdatedAt.Location() != time.UTC):
			t.Errorf("step %d changed the opt-outs but UpdatedAt = %v, want UTC, not before %v", i, got.UpdatedAt, before)
		case !st.changes && !got.UpdatedAt.Equal(prev.UpdatedAt):
			t.Errorf("step %d changed nothing but UpdatedAt went from %v to %v", i, prev.UpdatedAt, got.UpdatedAt)
		}
		// Nothing else of the profile moves.
		want := prev
		want.OptOutChannels, want.OptOutKinds, want.UpdatedAt = got.OptOutChannels, got.OptOutKinds, got.UpdatedAt
		if d := residentDiff(got, want); d != "" {
			t.Errorf("step %d changed more than the opt-outs:\n%s", i, d)
		}
		prev = got
	}
	if other := mustResident(t, s, "r2"); other.OptOutChannels != nil || other.OptOutKinds != nil {
		t.Errorf("another resident's opt-outs changed: %q %q", other.OptOutChannels, other.OptOutKinds)
	}
}

func testSetOptOutErrors(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustUpsert(t, s, resident("r1"))
	tests := []struct {
		name     string
		id       string
		channel  outreach.Channel
		kind     outreach.Kind
		notFound bool
	}{
		{"unknown resident", "nobody", sms, "", true},
		{"unknown resident, opting in", "R1", "", outreach.KindFollowUp, true},
		{"neither channel nor kind", "r1", "", "", false},
		{"both channel and kind", "r1", sms, outreach.KindFollowUp, false},
		{"unknown channel", "r1", "fax", "", false},
		{"unknown kind", "r1", "", "tea_party", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, out := range []bool{true, false} {
				err := s.SetOptOut(t.Context(), tt.id, tt.channel, tt.kind, out)
				switch {
				case err == nil:
					t.Errorf("SetOptOut(out=%v) succeeded", out)
				case errors.Is(err, outreach.ErrNotFound) != tt.notFound:
					t.Errorf("SetOptOut(out=%v) error = %v; wraps ErrNotFound: %v, want %v", out, err, !tt.notFound, tt.notFound)
				}
			}
		})
	}
	if got := mustResident(t, s, "r1"); got.OptOutChannels != nil || got.OptOutKinds != nil {
		t.Errorf("failed calls changed the opt-outs: %q %q", got.OptOutChannels, got.OptOutKinds)
	}
	if _, err := s.Resident(t.Context(), "nobody"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("SetOptOut created the unknown resident: %v", err)
	}
}

// testSetOptOutConcurrent records every opt-out of several residents at
// once, each from its own goroutine, while profile edits run too: a
// read-modify-write in the store would lose some of them.
func testSetOptOutConcurrent(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ctx := waitCtx(t)
	var ids []string
	for i := range 8 {
		ids = append(ids, fmt.Sprintf("r%d", i))
		mustUpsert(t, s, resident(ids[i]))
	}
	type optOut struct {
		c outreach.Channel
		k outreach.Kind
	}
	var all []optOut
	for _, c := range outreach.AllChannels {
		all = append(all, optOut{c: c})
	}
	for _, k := range outreach.Kinds {
		all = append(all, optOut{k: k})
	}
	run := func(out bool) {
		var wg sync.WaitGroup
		for _, id := range ids {
			for _, o := range all {
				wg.Go(func() {
					if err := s.SetOptOut(ctx, id, o.c, o.k, out); err != nil {
						t.Errorf("SetOptOut(%s, %q, %q, %v): %v", id, o.c, o.k, out, err)
					}
				})
			}
			wg.Go(func() {
				_, err := s.UpdateResident(ctx, id, func(r *outreach.Resident) error {
					r.Tags = append(r.Tags, fmt.Sprintf("edited-%v", out))
					return nil
				})
				if err != nil {
					t.Errorf("UpdateResident(%s): %v", id, err)
				}
			})
		}
		wg.Wait()
	}
	wantKinds := slices.Sorted(slices.Values(outreach.Kinds))
	run(true)
	for _, id := range ids {
		got := mustResident(t, s, id)
		if !slices.Equal(got.OptOutChannels, []outreach.Channel{email, sms}) || !slices.Equal(got.OptOutKinds, wantKinds) {
			t.Errorf("%s after concurrent opt-outs: %q %q, want every channel and kind", id, got.OptOutChannels, got.OptOutKinds)
		}
		if !slices.Equal(got.Tags, []string{"edited-true"}) {
			t.Errorf("%s: the concurrent edit was lost: tags %q", id, got.Tags)
		}
	}
	run(false)
	for _, id := range ids {
		got := mustResident(t, s, id)
		if got.OptOutChannels != nil || got.OptOutKinds != nil {
			t.Errorf("%s after concurrent opt-ins: %q %q, want none", id, got.OptOutChannels, got.OptOutKinds)
		}
		if !slices.Equal(got.Tags, []string{"edited-true", "edited-false"}) {
			t.Errorf("%s: a concurrent edit was lost: tags %q", id, got.Tags)
		}
	}
}

func testUpdateResident(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	first := outreach.Resident{
		ID: "r1", Name: "Old", Email: "old@example.com", Building: "1", Tags: []string{"vip"},
		Attributes: map[string]string{"a": "1"}, UpdatedAt: base,
		OptOutChannels: []outreach.Channel{sms}, OptOutKinds: []outreach.Kind{outreach.KindHolidayGreeting},
	}
	mustUpsert(t, s, first, resident("r2"))
	before := time.Now().Truncate(time.Microsecond)
	got, err := s.UpdateResident(t.Context(), "r1", func(r *outreach.Resident) error {
		if d := residentDiff(*r, first); d != "" {
			t.Errorf("fn got a resident other than the stored one:\n%s", d)
		}
		r.Name, r.Phone, r.TimeZone = "New", "+8613800138000", "Asia/Shanghai"
		r.Tags = append(r.Tags, "elderly")
		delete(r.Attributes, "a")
		r.OptOutChannels = nil // UpdateResident can withdraw an opt-out
		r.OptOutKinds = append(r.OptOutKinds, outreach.KindFollowUp, outreach.KindFollowUp)
		r.UpdatedAt = base // ignored: the store sets it
		return nil
	})
	after := time.Now()
	if err != nil {
		t.Fatalf("UpdateResident: %v", err)
	}
	want := outreach.Resident{
		ID: "r1", Name: "New", Email: "old@example.com", Phone: "+8613800138000", Building: "1",
		Tags: []string{"vip", "elderly"}, TimeZone: "Asia/Shanghai",
		OptOutKinds: []outreach.Kind{outreach.KindFollowUp, outreach.KindHolidayGreeting},
	}
	if got.UpdatedAt.Before(before) || got.UpdatedAt.After(after) || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("UpdatedAt = %v, want UTC between %v and %v", got.UpdatedAt, before, after)
	}
	want.UpdatedAt = got.UpdatedAt
	if d := residentDiff(got, want); d != "" {
		t.Errorf("UpdateResident returned\n%s", d)
	}
	if d := residentDiff(mustResident(t, s, "r1"), want); d != "" {
		t.Errorf("UpdateResident stored something other than it returned:\n%s", d)
	}
	if d := residentDiff(mustResident(t, s, "r2"), resident("r2")); d != "" {
		t.Errorf("another resident changed:\n%s", d)
	}
}

func testUpdateResidentErrors(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	stored := resident("r1")
	mustUpsert(t, s, stored)
	sentinel := errors.New("the edit is invalid")
	tests := []struct {
		name     string
		id       string
		fn       func(*outreach.Resident) error
		wantErr  error // nil: any error
		fnCalled bool
	}{
		{"unknown resident", "nobody", func(*outreach.Resident) error { return nil }, outreach.ErrNotFound, false},
		{"fn fails", "r1", func(r *outreach.Resident) error { r.Name = "changed"; return sentinel }, sentinel, true},
		{"fn changes the id", "r1", func(r *outreach.Resident) error { r.ID = "r2"; return nil }, nil, true},
		{"fn writes invalid text", "r1", func(r *outreach.Resident) error { r.Name = "\xff"; return nil }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			_, err := s.UpdateResident(t.Context(), tt.id, func(r *outreach.Resident) error {
				called = true
				return tt.fn(r)
			})
			switch {
			case err == nil:
				t.Fatal("UpdateResident succeeded")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("UpdateResident error = %v, want one wrapping %v", err, tt.wantErr)
			case called != tt.fnCalled:
				t.Errorf("fn called: %v, want %v", called, tt.fnCalled)
			}
			if d := residentDiff(mustResident(t, s, "r1"), stored); d != "" {
				t.Errorf("a failed update changed the resident:\n%s", d)
			}
		})
	}
	for _, id := range []string{"r2", "nobody"} {
		if _, err := s.Resident(t.Context(), id); !errors.Is(err, outreach.ErrNotFound) {
			t.Errorf("a failed update created %q: %v", id, err)
		}
	}
}

// testUpdateResidentConcurrent: many read-modify-write edits of one
// resident at once; none may be lost.
func testUpdateResidentConcurrent(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	ctx := waitCtx(t)
	mustUpsert(t, s, resident("r1"))
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateResident(ctx, "r1", func(r *outreach.Resident) error {
				r.Tags = append(r.Tags, fmt.Sprintf("t%02d", i))
				return nil
			})
			if err != nil {
				t.Errorf("UpdateResident: %v", err)
			}
		})
	}
	wg.Wait()
	got := mustResident(t, s, "r1")
	if len(got.Tags) != n {
		t.Errorf("%d of %d concurrent edits survived: %q", len(got.Tags), n, got.Tags)
	}
}
