package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func testResidentsByPhone(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	withPhone := func(id, phone string) outreach.Resident {
		r := resident(id)
		r.Phone = phone
		return r
	}
	mustUpsert(t, s,
		withPhone("b-parent", "+8613800138000"),
		withPhone("a-child", "+8613800138000"), // a family shares the number
		withPhone("c-other", "+8613800138001"),
		resident("d-none"),
	)
	tests := []struct {
		phone string
		want  []string
	}{
		{"+8613800138000", []string{"a-child", "b-parent"}},
		{"+8613800138001", []string{"c-other"}},
		{"+8613800138999", nil},
		{"", nil},
	}
	for _, tt := range tests {
		rs, err := s.ResidentsByPhone(t.Context(), tt.phone)
		if err != nil {
			t.Fatalf("ResidentsByPhone(%q): %v", tt.phone, err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.ID)
			if r.Phone != tt.phone || r.Name == "" {
				t.Errorf("ResidentsByPhone(%q) gave %+v", tt.phone, r)
			}
		}
		if !equalIDs(got, tt.want) {
			t.Errorf("ResidentsByPhone(%q) = %v, want %v", tt.phone, got, tt.want)
		}
	}
}

func testRecordReply(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	at := time.Date(2025, 2, 3, 4, 5, 6, 123456789, shanghai)
	first := outreach.Reply{
		ID: "SM-in-1", Channel: outreach.ChannelSMS, From: "+8613800138000", ResidentID: "r1",
		DeliveryID: "d1", JobID: "j1", Body: "5 非常满意，谢谢！", Action: outreach.ReplyNone, ReceivedAt: at,
	}
	isNew, err := s.RecordReply(t.Context(), first)
	if err != nil || !isNew {
		t.Fatalf("RecordReply = %v, %v; want new", isNew, err)
	}
	again := first
	again.Body = "a provider's retry with other text"
	if isNew, err := s.RecordReply(t.Context(), again); err != nil || isNew {
		t.Errorf("RecordReply of the same id = %v, %v; want not new, no error", isNew, err)
	}
	stop := outreach.Reply{ID: "SM-in-2", Channel: outreach.ChannelSMS, From: "+8613800138000", ResidentID: "r1",
		Body: "STOP", Action: outreach.ReplyOptOut, ReceivedAt: at.Add(time.Minute)}
	stranger := outreach.Reply{ID: "SM-in-3", Channel: outreach.ChannelSMS, From: "+8613800138999",
		Body: "who is this?", ReceivedAt: at.Add(2 * time.Minute)}
	for _, r := range []outreach.Reply{stop, stranger} {
		if _, err := s.RecordReply(t.Context(), r); err != nil {
			t.Fatalf("RecordReply(%s): %v", r.ID, err)
		}
	}

	want := first
	want.ReceivedAt = stored(at)
	got, err := s.Replies(t.Context(), outreach.Filter{JobID: "j1"})
	if err != nil {
		t.Fatalf("Replies: %v", err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) || got[0].ReceivedAt.Location() != time.UTC {
		t.Errorf("Replies(job j1) = %#v, want the first reply unchanged %#v", got, want)
	}
	tests := []struct {
		name string
		f    outreach.Filter
		want []string
	}{
		{"all, newest first", outreach.Filter{}, []string{"SM-in-3", "SM-in-2", "SM-in-1"}},
		{"by resident", outreach.Filter{ResidentID: "r1"}, []string{"SM-in-2", "SM-in-1"}},
		{"by channel", outreach.Filter{Channel: outreach.ChannelEmail}, nil},
		{"since", outreach.Filter{Since: at.Add(time.Minute)}, []string{"SM-in-3", "SM-in-2"}},
		{"until", outreach.Filter{Until: at.Add(time.Minute)}, []string{"SM-in-1"}},
		{"limit", outreach.Filter{Limit: 1}, []string{"SM-in-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := s.Replies(t.Context(), tt.f)
			if err != nil {
				t.Fatalf("Replies: %v", err)
			}
			var ids []string
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			if !equalIDs(ids, tt.want) {
				t.Errorf("Replies(%+v) = %v, want %v", tt.f, ids, tt.want)
			}
		})
	}

	for _, bad := range []outreach.Reply{
		{Channel: outreach.ChannelSMS, Body: "no id"},
		{ID: "SM-x", Body: "no channel"},
		{ID: "SM-y", Channel: outreach.ChannelSMS, Body: "nul \x00 byte"},
	} {
		if _, err := s.RecordReply(t.Context(), bad); err == nil {
			t.Errorf("RecordReply(%+v) succeeded, want an error", bad)
		}
	}
	if _, err := s.Replies(t.Context(), outreach.Filter{Limit: -1}); err == nil {
		t.Error("Replies with a negative limit succeeded, want an error")
	}
}
