package api

import (
	"context"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/sms"
	"github.com/outreach-dev/outreach/outreach/survey"
)

// archiveInbound records what an inbound message asks for and archives it.
// Both steps are idempotent (a provider's retry repeats them harmlessly):
// an opt-out is a state, and a reply is archived once per message SID.
func (wh *Webhooks) archiveInbound(ctx context.Context, in sms.Inbound) (outreach.Reply, error) {
	residents, err := wh.Store.ResidentsByPhone(ctx, in.From)
	if err != nil {
		return outreach.Reply{}, fmt.Errorf("find the sender: %w", err)
	}
	reply := outreach.Reply{
		ID: in.SID, Channel: outreach.ChannelSMS, From: in.From, Body: in.Body,
		Action: in.Action(), ReceivedAt: time.Now().UTC(),
	}
	if len(residents) > 0 {
		reply.ResidentID, reply.Estate = residents[0].ID, residents[0].EstateID()
	}
	// The reply answers the latest SMS any of them was sent.
	var latest outreach.Delivery
	for _, r := range residents {
		d, ok, err := wh.latestSMS(ctx, r.ID)
		if err != nil {
			return outreach.Reply{}, err
		}
		if ok && d.CreatedAt.After(latest.CreatedAt) {
			latest = d
		}
	}
	if latest.ID != "" {
		reply.ResidentID, reply.DeliveryID, reply.JobID, reply.Estate = latest.ResidentID, latest.ID, latest.JobID, latest.Estate
	}
	answeredSurvey := false
	if wh.Surveys != nil {
		// A reply to an open survey answers it and is archived against
		// the delivery that asked. The step is idempotent by reply id.
		sv, _, err := wh.Surveys.Reply(ctx, reply, residents)
		if err != nil {
			return outreach.Reply{}, fmt.Errorf("score the survey reply: %w", err)
		}
		if sv.ID != "" {
			answeredSurvey = true
			reply.ResidentID, reply.DeliveryID, reply.JobID, reply.Estate = sv.ResidentID, sv.DeliveryID, sv.JobID, sv.Estate
		}
	}
	if err := wh.applyOptOut(ctx, residents, reply.Action); err != nil {
		return outreach.Reply{}, err
	}
	if _, err := wh.Store.RecordReply(ctx, reply); err != nil {
		return outreach.Reply{}, fmt.Errorf("archive the reply: %w", err)
	}
	// A message that answers no survey and is no keyword may open a case
	// (OUTREACH_CASES_FROM_INBOUND); the reply's id keeps a retry to one.
	if wh.Cases != nil && reply.Action == outreach.ReplyNone && len(residents) > 0 && !answeredSurvey {
		if _, err := wh.Cases.FromInbound(ctx, reply, residents[0]); err != nil {
			return outreach.Reply{}, fmt.Errorf("open a case from the message: %w", err)
		}
	}
	return reply, nil
}

// InboundCases opens cases from inbound messages (package cases'
// Service.FromInbound).
type InboundCases interface {
	FromInbound(ctx context.Context, reply outreach.Reply, r outreach.Resident) (outreach.Case, error)
}

// SurveyReplies ties SMS replies to satisfaction surveys (package
// survey's Service.Reply): it returns the survey the reply answered,
// commented on or closed (zero for none).
type SurveyReplies interface {
	Reply(ctx context.Context, reply outreach.Reply, residents []outreach.Resident) (outreach.Survey, survey.ReplyResult, error)
}

// latestSMS is the newest SMS a provider took for the resident.
func (wh *Webhooks) latestSMS(ctx context.Context, residentID string) (outreach.Delivery, bool, error) {
	ds, err := wh.Store.Search(ctx, outreach.Filter{ResidentID: residentID, Channel: outreach.ChannelSMS, Limit: 20})
	if err != nil {
		return outreach.Delivery{}, false, fmt.Errorf("find the latest SMS to the sender: %w", err)
	}
	for _, d := range ds {
		if d.SentAt != nil {
			return d, true, nil
		}
	}
	return outreach.Delivery{}, false, nil
}

// applyOptOut records a STOP (or START) for every resident with the number:
// the number's owner said it, and Twilio itself now blocks the number.
func (wh *Webhooks) applyOptOut(ctx context.Context, residents []outreach.Resident, action outreach.ReplyAction) error {
	if action != outreach.ReplyOptOut && action != outreach.ReplyOptIn {
		return nil
	}
	out := action == outreach.ReplyOptOut
	for _, r := range residents {
		if err := wh.OptOut(ctx, r.ID, outreach.ChannelSMS, "", out); err != nil {
			return fmt.Errorf("record the opt-out of %s: %w", r.ID, err)
		}
		wh.Metrics.OptOuts.WithLabelValues(string(outreach.ChannelSMS), "reply", direction(out)).Inc()
	}
	return nil
}

func direction(out bool) string {
	if out {
		return "out"
	}
	return "in"
}
