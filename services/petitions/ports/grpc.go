// Package ports serves the petition service over gRPC (and REST through the
// gateway): it checks request shapes, calls the application layer with the
// authenticated actor, and returns resources from the read model.
package ports

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/internal/kernel/names"
	enumfilter "github.com/tasharuk/tasharuk/services/filter"
	"github.com/tasharuk/tasharuk/services/petitions/app"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
	"github.com/tasharuk/tasharuk/services/petitions/readmodel"
)

// Server implements petitionsv1.PetitionServiceServer.
type Server struct {
	petitionsv1.UnimplementedPetitionServiceServer
	App *app.Service
}

func actor(ctx context.Context) eventstore.Actor {
	p, _ := access.PrincipalFrom(ctx)
	return access.Actor(p)
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func optTime(t *timestamppb.Timestamp, field string) (time.Time, error) {
	if t == nil {
		return time.Time{}, nil
	}
	if err := t.CheckValid(); err != nil {
		return time.Time{}, fault.Field(field, "not a valid time")
	}
	return t.AsTime(), nil
}

// petition converts the read model's view to the API resource.
func (s *Server) petition(ctx context.Context, p readmodel.Petition) *petitionsv1.Petition {
	return s.petitionAt(ctx, p, s.App.Now())
}

// viewer is what the domain needs to know of the caller to list its acts:
// its relation to the petition, never who it is. An anonymous caller is
// none of these and is offered nothing.
func viewer(ctx context.Context, st domain.State) domain.Viewer {
	p, ok := access.PrincipalFrom(ctx)
	if !ok {
		return domain.Viewer{}
	}
	_, code, _ := strings.Cut(st.Council, "/")
	return domain.Viewer{
		// The petitioners' methods (open, withdraw, deposit) are open to
		// these roles (access.DefaultPolicy); Decide then checks the agent.
		Agent:     p.Subject != "" && p.Subject == st.Agent && (p.Role == access.RoleCitizen || p.Role == access.RoleStaff),
		Citizen:   p.Role == access.RoleCitizen,
		Staff:     p.Role == access.RoleStaff && p.Council != "" && p.Council == code,
		Moderator: p.Role == access.RoleModerator && p.Council != "" && p.Council == code,
	}
}

// allowedActs lists the caller's acts on the petition at now.
func allowedActs(ctx context.Context, st domain.State, now time.Time) []petitionsv1.PetitionAct {
	acts := domain.AllowedActs(st, now, viewer(ctx, st))
	out := make([]petitionsv1.PetitionAct, len(acts))
	for i, a := range acts {
		out[i] = petitionsv1.PetitionAct(a)
	}
	return out
}

// petitionAt converts a view, judging deadlines (and the caller's acts) at
// now.
func (s *Server) petitionAt(ctx context.Context, p readmodel.Petition, now time.Time) *petitionsv1.Petition {
	st := p.State
	out := &petitionsv1.Petition{
		Name: st.Council + "/petitions/" + st.ID, Council: st.Council, Kind: st.Kind,
		Title: st.Title, Request: st.Request, Reasons: st.Reasons, Association: st.Association,
		Agent: st.Agent, State: st.Status,
		Signatures: &petitionsv1.SignatureCounts{Valid: p.Valid, Withdrawn: p.Withdrawn, Struck: p.Struck, ByProvince: p.ByProvince,
			PaperCheckedByStaff: p.ByAssurance[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PAPER_CHECKED_BY_STAFF],
			CodeVerified:        p.ByAssurance[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED],
			ProviderVerifiedId:  p.ByAssurance[petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_PROVIDER_VERIFIED_ID],
			Counted:             p.Valid},
		ReceiptNumber: st.ReceiptNumber, ReceiveTime: ts(st.ReceivedAt), DepositChannel: st.DepositChannel,
		DecisionDeadline: ts(st.Deadline), Overdue: st.Overdue(now),
		DecisionNotifyTime: ts(st.DecisionNotified), Session: st.Session, Committee: st.Committee,
		CommitteeReport: st.CommitteeReport, Outcome: st.Outcome, OutcomeSummary: st.OutcomeSummary,
		WithdrawalReason: st.WithdrawalReason, CreateTime: ts(st.CreatedAt), UpdateTime: ts(st.UpdatedAt),
		Revision: p.Revision, Corrections: st.Corrections,
		AllowedActs: allowedActs(ctx, st, now),
	}
	if c, err := s.App.ParseCouncil(st.Council); err == nil && st.Kind == petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS {
		rb := s.App.RulebookOf(c, st)
		out.SignatureThreshold = int32(rb.SignatureThreshold(c))
		out.Signatures.Counted = int32(domain.CountedByLevel(p.Valid, p.ByAssurance, rb.CountedAssurance))
	}
	if !st.SubmittedAt.IsZero() {
		out.Moderation = &petitionsv1.Moderation{SubmitTime: ts(st.SubmittedAt), Deadline: ts(st.ModerationDeadline), Overdue: st.ModerationOverdue(now),
			Ground: st.ModerationGround, Reasons: st.ModerationReasons, Article: st.ModerationArticle, ModeratedBy: st.ModeratedBy, ModerateTime: ts(st.ModeratedAt)}
	}
	for _, d := range st.Attachments {
		if !d.Erased {
			out.Documents = append(out.Documents, documentEvent(d))
		}
	}
	if st.Decided() {
		out.Decision = &petitionsv1.Decision{Admissibility: st.Decision, Checklist: st.Checklist, Reasons: st.DecisionReasons, DecideTime: ts(st.DecidedAt), DecidedBy: st.DecidedBy}
	}
	return out
}

// visible reports whether the caller may see a petition: one opened for
// signatures or deposited is public; a draft never opened (even withdrawn
// since) only as access.MaySeeUnpublished says.
func visible(ctx context.Context, st domain.State) bool {
	return st.Public() || access.MaySeeUnpublished(ctx, st.Council, st.Agent)
}

// readAt reads a petition as of a past position or time.
func (s *Server) readAt(ctx context.Context, n app.Name, minPos, asOfPos uint64, asOfTime, validTime *timestamppb.Timestamp) (*petitionsv1.Petition, readmodel.Petition, error) {
	a, err := s.App.Runner.QueryAsOf(ctx, s.App.Now(), minPos, asOfPos, asOfTime, validTime)
	if err != nil {
		return nil, readmodel.Petition{}, err
	}
	p, ok := s.App.Model.PetitionAt(n.String(), a)
	if !ok || p.State.Council != n.Council || !visible(ctx, p.State) {
		return nil, readmodel.Petition{}, fault.New(fault.NotFound, "PETITION_NOT_FOUND", "no petition %s (at that time)", n)
	}
	return s.petitionAt(ctx, p, a.Now), p, nil
}

func (s *Server) read(ctx context.Context, n app.Name, pos uint64) (*petitionsv1.Petition, error) {
	p, err := s.App.Petition(ctx, n, pos)
	if err != nil {
		return nil, err
	}
	return s.petition(ctx, p), nil
}

// CreatePetition implements PetitionService.
func (s *Server) CreatePetition(ctx context.Context, r *petitionsv1.CreatePetitionRequest) (*petitionsv1.CreatePetitionResponse, error) {
	n, pos, err := s.App.Create(ctx, actor(ctx), app.Draft{Parent: r.GetParent(), Kind: r.GetKind(), Title: r.GetTitle(), Request: r.GetRequest(),
		Reasons: r.GetReasons(), Association: r.GetAssociation(), RequestID: r.GetRequestId(), Language: r.GetLanguage()})
	if err != nil {
		return nil, err
	}
	p, err := s.read(ctx, n, pos)
	if err != nil {
		return nil, err
	}
	return &petitionsv1.CreatePetitionResponse{Petition: p, LogPosition: pos}, nil
}

// GetPetition implements PetitionService.
func (s *Server) GetPetition(ctx context.Context, r *petitionsv1.GetPetitionRequest) (*petitionsv1.GetPetitionResponse, error) {
	n, err := app.ParseName(r.GetName())
	if err != nil {
		return nil, err
	}
	p, _, err := s.readAt(ctx, n, r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	return &petitionsv1.GetPetitionResponse{Petition: p}, nil
}

// ListPetitions implements PetitionService.
func (s *Server) ListPetitions(ctx context.Context, r *petitionsv1.ListPetitionsRequest) (*petitionsv1.ListPetitionsResponse, error) {
	c, err := s.App.ParseCouncil(r.GetParent())
	if err != nil {
		return nil, err
	}
	f, err := parseFilter(r.GetFilter())
	if err != nil {
		return nil, err
	}
	size, err := names.PageSize(int(r.GetPageSize()), 50)
	if err != nil {
		return nil, err
	}
	// The token carries a fingerprint of the query, so a token is refused
	// with another filter or parent.
	offset, ok := names.DecodePageToken(r.GetPageToken(), r.GetFilter(), r.GetParent())
	if !ok {
		return nil, fault.Field("page_token", "not a token from this query")
	}
	a, err := s.App.Runner.QueryAsOf(ctx, s.App.Now(), r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	var all []readmodel.Petition
	for _, p := range s.App.Model.PetitionsAt(c.Code, f, a) {
		if visible(ctx, p.State) {
			all = append(all, p)
		}
	}
	resp := &petitionsv1.ListPetitionsResponse{TotalSize: int32(len(all))}
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+size, len(all))
	for _, p := range all[offset:end] {
		resp.Petitions = append(resp.Petitions, s.petitionAt(ctx, p, a.Now))
	}
	if end < len(all) {
		resp.NextPageToken = names.EncodePageToken(end, r.GetFilter(), r.GetParent())
	}
	return resp, nil
}

// parseFilter reads "state=DEPOSITED", "overdue=true", joined by " AND ".
// A state is named as responses name it (PETITION_STATE_DEPOSITED) or
// without the prefix, in any case.
func parseFilter(filter string) (readmodel.PetitionFilter, error) {
	var f readmodel.PetitionFilter
	if strings.TrimSpace(filter) == "" {
		return f, nil
	}
	for _, term := range strings.Split(filter, " AND ") {
		k, v, ok := strings.Cut(strings.TrimSpace(term), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case ok && k == "state":
			st, found := enumfilter.Enum(petitionseventsv1.PetitionState_value, "PETITION_STATE_", v)
			if !found {
				return f, fault.Field("filter", "unknown state %q: use one of %s", v, enumfilter.Names(petitionseventsv1.PetitionState_name, "PETITION_STATE_"))
			}
			f.State = petitionseventsv1.PetitionState(st)
		case ok && k == "overdue" && v == "true":
			f.Overdue = true
		default:
			return f, fault.Field("filter", "use state=<STATE> and/or overdue=true, joined by AND; got %q", term)
		}
	}
	return f, nil
}

// GetPetitionTimeline implements PetitionService.
func (s *Server) GetPetitionTimeline(ctx context.Context, r *petitionsv1.GetPetitionTimelineRequest) (*petitionsv1.GetPetitionTimelineResponse, error) {
	n, err := app.ParseName(r.GetName())
	if err != nil {
		return nil, err
	}
	_, p, err := s.readAt(ctx, n, r.GetMinPosition(), r.GetAsOfPosition(), r.GetAsOfTime(), r.GetValidTime())
	if err != nil {
		return nil, err
	}
	resp := &petitionsv1.GetPetitionTimelineResponse{}
	for _, e := range p.Timeline {
		resp.Entries = append(resp.Entries, &petitionsv1.TimelineEntry{
			EventId: e.EventID, Type: e.Type, Summary: e.Summary, OccurTime: ts(e.OccurredAt), RecordTime: ts(e.RecordedAt),
			ActorRole: e.ActorRole, Actor: e.Actor, Position: e.Position, Hash: hex.EncodeToString(e.Hash), StateAfter: e.StateAfter,
		})
	}
	return resp, nil
}

// act runs a command needing only the petition's state and returns it.
func (s *Server) act(ctx context.Context, name string, cmd domain.Command) (*petitionsv1.Petition, uint64, error) {
	n, pos, err := s.App.Act(ctx, actor(ctx), name, cmd)
	if err != nil {
		return nil, 0, err
	}
	p, err := s.read(ctx, n, pos)
	return p, pos, err
}

// OpenPetitionForSignatures implements PetitionService.
func (s *Server) OpenPetitionForSignatures(ctx context.Context, r *petitionsv1.OpenPetitionForSignaturesRequest) (*petitionsv1.OpenPetitionForSignaturesResponse, error) {
	n, pos, err := s.App.Open(ctx, actor(ctx), r.GetName())
	if err != nil {
		return nil, err
	}
	p, err := s.read(ctx, n, pos)
	if err != nil {
		return nil, err
	}
	return &petitionsv1.OpenPetitionForSignaturesResponse{Petition: p, LogPosition: pos}, nil
}

// ModeratePetition implements PetitionService.
func (s *Server) ModeratePetition(ctx context.Context, r *petitionsv1.ModeratePetitionRequest) (*petitionsv1.ModeratePetitionResponse, error) {
	p, pos, err := s.act(ctx, r.GetName(), domain.Moderate{Clear: r.GetClear(), Ground: r.GetGround(), Reasons: r.GetReasons(), Note: r.GetNote()})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.ModeratePetitionResponse{Petition: p, LogPosition: pos}, nil
}

// AmendPetition implements PetitionService.
func (s *Server) AmendPetition(ctx context.Context, r *petitionsv1.AmendPetitionRequest) (*petitionsv1.AmendPetitionResponse, error) {
	p, pos, err := s.act(ctx, r.GetName(), domain.Amend{Title: r.GetTitle(), Request: r.GetRequest(), Reasons: r.GetReasons()})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.AmendPetitionResponse{Petition: p, LogPosition: pos}, nil
}

// SignPetition implements PetitionService.
func (s *Server) SignPetition(ctx context.Context, r *petitionsv1.SignPetitionRequest) (*petitionsv1.SignPetitionResponse, error) {
	p, _ := access.PrincipalFrom(ctx)
	res, err := s.App.SignOnline(ctx, access.Actor(p), r.GetName(), app.Signature{NationalID: r.GetNationalId(), FullName: r.GetFullName(), Province: r.GetProvince(),
		Channel: petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE, AssertedNationalID: p.NationalID})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.SignPetitionResponse{SignatureRef: res.Ref, LogPosition: res.Position, Assurance: res.Assurance}, nil
}

// nationalIDNotTaken refuses a check or withdrawal that still names an ID
// number: they act on the caller's own signature only, and a client that
// still sends a number expects it to matter.
func nationalIDNotTaken(id string) error {
	if id == "" {
		return nil
	}
	return fault.New(fault.Invalid, "NATIONAL_ID_NOT_TAKEN", "national_id is no longer taken: the signature of the signed-in account is the one checked or withdrawn; leave the field out")
}

// CheckSignature implements PetitionService.
func (s *Server) CheckSignature(ctx context.Context, r *petitionsv1.CheckSignatureRequest) (*petitionsv1.CheckSignatureResponse, error) {
	//lint:ignore SA1019 the deprecated field is read only to refuse it
	if err := nationalIDNotTaken(r.GetNationalId()); err != nil {
		return nil, err
	}
	c, err := s.App.CheckSignature(ctx, actor(ctx), r.GetName(), r.GetMinPosition())
	if err != nil {
		return nil, err
	}
	return &petitionsv1.CheckSignatureResponse{Status: c.Status, SignatureRef: c.Ref, Assurance: c.Assurance}, nil
}

// WithdrawSignature implements PetitionService.
func (s *Server) WithdrawSignature(ctx context.Context, r *petitionsv1.WithdrawSignatureRequest) (*petitionsv1.WithdrawSignatureResponse, error) {
	//lint:ignore SA1019 the deprecated field is read only to refuse it
	if err := nationalIDNotTaken(r.GetNationalId()); err != nil {
		return nil, err
	}
	pos, err := s.App.WithdrawSignature(ctx, actor(ctx), r.GetName(), r.GetReason())
	if err != nil {
		return nil, err
	}
	return &petitionsv1.WithdrawSignatureResponse{LogPosition: pos}, nil
}

// StrikeSignature implements PetitionService.
func (s *Server) StrikeSignature(ctx context.Context, r *petitionsv1.StrikeSignatureRequest) (*petitionsv1.StrikeSignatureResponse, error) {
	pos, err := s.App.StrikeSignature(ctx, actor(ctx), r.GetName(), r.GetSignatureRef(), r.GetReason())
	if err != nil {
		return nil, err
	}
	return &petitionsv1.StrikeSignatureResponse{LogPosition: pos}, nil
}

// ImportSignatures implements PetitionService.
func (s *Server) ImportSignatures(ctx context.Context, r *petitionsv1.ImportSignaturesRequest) (*petitionsv1.ImportSignaturesResponse, error) {
	rep, err := s.App.ImportSignatures(ctx, actor(ctx), r.GetName(), r.GetCsv(), r.GetSheetDocumentId())
	if err != nil {
		return nil, err
	}
	resp := &petitionsv1.ImportSignaturesResponse{Accepted: int32(rep.Accepted), Duplicates: int32(rep.Duplicates), Invalid: int32(rep.Invalid), LogPosition: rep.Position}
	for _, row := range rep.Rows {
		resp.Rows = append(resp.Rows, &petitionsv1.ImportRow{Line: int32(row.Line), Status: row.Status, Reason: row.Reason, SignatureRef: row.Ref})
	}
	return resp, nil
}

// DepositPetition implements PetitionService.
func (s *Server) DepositPetition(ctx context.Context, r *petitionsv1.DepositPetitionRequest) (*petitionsv1.DepositPetitionResponse, error) {
	at, err := optTime(r.GetReceiveTime(), "receive_time")
	if err != nil {
		return nil, err
	}
	n, pos, receipt, err := s.App.Deposit(ctx, actor(ctx), r.GetName(), at, r.GetChannel(), r.GetDocuments())
	if err != nil {
		return nil, err
	}
	p, err := s.read(ctx, n, pos)
	if err != nil {
		return nil, err
	}
	return &petitionsv1.DepositPetitionResponse{Petition: p, ReceiptNumber: receipt, LogPosition: pos}, nil
}

// ReferPetitionToBureau implements PetitionService.
func (s *Server) ReferPetitionToBureau(ctx context.Context, r *petitionsv1.ReferPetitionToBureauRequest) (*petitionsv1.ReferPetitionToBureauResponse, error) {
	p, pos, err := s.act(ctx, r.GetName(), domain.ReferToBureau{})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.ReferPetitionToBureauResponse{Petition: p, LogPosition: pos}, nil
}

// DecideAdmissibility implements PetitionService.
func (s *Server) DecideAdmissibility(ctx context.Context, r *petitionsv1.DecideAdmissibilityRequest) (*petitionsv1.DecideAdmissibilityResponse, error) {
	n, pos, err := s.App.DecideAdmissibility(ctx, actor(ctx), r.GetName(), r.GetAdmissibility(), r.GetChecklist(), r.GetReasons())
	if err != nil {
		return nil, err
	}
	p, err := s.read(ctx, n, pos)
	if err != nil {
		return nil, err
	}
	return &petitionsv1.DecideAdmissibilityResponse{Petition: p, LogPosition: pos}, nil
}

// SchedulePetition implements PetitionService.
func (s *Server) SchedulePetition(ctx context.Context, r *petitionsv1.SchedulePetitionRequest) (*petitionsv1.SchedulePetitionResponse, error) {
	n, pos, err := s.App.Schedule(ctx, actor(ctx), r.GetName(), r.GetSession())
	if err != nil {
		return nil, err
	}
	p, err := s.read(ctx, n, pos)
	if err != nil {
		return nil, err
	}
	return &petitionsv1.SchedulePetitionResponse{Petition: p, LogPosition: pos}, nil
}

// ReferPetitionToCommittee implements PetitionService.
func (s *Server) ReferPetitionToCommittee(ctx context.Context, r *petitionsv1.ReferPetitionToCommitteeRequest) (*petitionsv1.ReferPetitionToCommitteeResponse, error) {
	p, pos, err := s.act(ctx, r.GetName(), domain.ReferToCommittee{Committee: r.GetCommittee()})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.ReferPetitionToCommitteeResponse{Petition: p, LogPosition: pos}, nil
}

// RecordCommitteeReport implements PetitionService.
func (s *Server) RecordCommitteeReport(ctx context.Context, r *petitionsv1.RecordCommitteeReportRequest) (*petitionsv1.RecordCommitteeReportResponse, error) {
	at, err := optTime(r.GetReportTime(), "report_time")
	if err != nil {
		return nil, err
	}
	p, pos, err := s.act(ctx, r.GetName(), domain.RecordCommitteeReport{Summary: r.GetSummary(), At: at})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.RecordCommitteeReportResponse{Petition: p, LogPosition: pos}, nil
}

// RecordDeliberation implements PetitionService.
func (s *Server) RecordDeliberation(ctx context.Context, r *petitionsv1.RecordDeliberationRequest) (*petitionsv1.RecordDeliberationResponse, error) {
	at, err := optTime(r.GetDeliberateTime(), "deliberate_time")
	if err != nil {
		return nil, err
	}
	p, pos, err := s.act(ctx, r.GetName(), domain.RecordDeliberation{Outcome: r.GetOutcome(), Summary: r.GetSummary(), Reference: r.GetReference(), At: at})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.RecordDeliberationResponse{Petition: p, LogPosition: pos}, nil
}

// NotifyAgent implements PetitionService.
func (s *Server) NotifyAgent(ctx context.Context, r *petitionsv1.NotifyAgentRequest) (*petitionsv1.NotifyAgentResponse, error) {
	at, err := optTime(r.GetNotifyTime(), "notify_time")
	if err != nil {
		return nil, err
	}
	p, pos, err := s.act(ctx, r.GetName(), domain.NotifyAgent{Subject: r.GetSubject(), Channel: r.GetChannel(), Reference: r.GetReference(), At: at})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.NotifyAgentResponse{Petition: p, LogPosition: pos}, nil
}

// WithdrawPetition implements PetitionService.
func (s *Server) WithdrawPetition(ctx context.Context, r *petitionsv1.WithdrawPetitionRequest) (*petitionsv1.WithdrawPetitionResponse, error) {
	p, pos, err := s.act(ctx, r.GetName(), domain.Withdraw{Reason: r.GetReason()})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.WithdrawPetitionResponse{Petition: p, LogPosition: pos}, nil
}

// ClosePetition implements PetitionService.
func (s *Server) ClosePetition(ctx context.Context, r *petitionsv1.ClosePetitionRequest) (*petitionsv1.ClosePetitionResponse, error) {
	p, pos, err := s.act(ctx, r.GetName(), domain.Close{Note: r.GetNote()})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.ClosePetitionResponse{Petition: p, LogPosition: pos}, nil
}

// CorrectPetitionRecord implements PetitionService.
func (s *Server) CorrectPetitionRecord(ctx context.Context, r *petitionsv1.CorrectPetitionRecordRequest) (*petitionsv1.CorrectPetitionRecordResponse, error) {
	p, pos, err := s.act(ctx, r.GetName(), domain.Correct{EventID: r.GetCorrectedEventId(), Field: r.GetField(), Value: r.GetValue(), Reason: r.GetReason()})
	if err != nil {
		return nil, err
	}
	return &petitionsv1.CorrectPetitionRecordResponse{Petition: p, LogPosition: pos}, nil
}

// ListSignatures implements PetitionService.
func (s *Server) ListSignatures(ctx context.Context, r *petitionsv1.ListSignaturesRequest) (*petitionsv1.ListSignaturesResponse, error) {
	list, next, total, err := s.App.ListSignatures(ctx, actor(ctx), r.GetName(), int(r.GetPageSize()), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &petitionsv1.ListSignaturesResponse{NextPageToken: next, TotalSize: int32(total)}
	for _, sg := range list {
		resp.Signatures = append(resp.Signatures, &petitionsv1.SignatureEntry{SignatureRef: sg.Ref, FullName: sg.FullName, Status: sg.Status,
			Channel: sg.Channel, Province: sg.Province, RecordTime: ts(sg.RecordedAt)})
	}
	return resp, nil
}

// AttachDocument implements PetitionService.
func (s *Server) AttachDocument(ctx context.Context, r *petitionsv1.AttachDocumentRequest) (*petitionsv1.AttachDocumentResponse, error) {
	n, id, pos, err := s.App.AttachDocument(ctx, actor(ctx), r.GetName(), app.Attachment{Kind: r.GetKind(), FileName: r.GetFileName(), RequestID: r.GetRequestId(),
		Content: r.GetContent(), PersonalData: r.GetPersonalData()})
	if err != nil {
		return nil, err
	}
	d, _, err := s.App.Document(ctx, n.String()+"/documents/"+id, pos)
	if err != nil {
		return nil, err
	}
	return &petitionsv1.AttachDocumentResponse{Document: documentEvent(d), DocumentName: n.String() + "/documents/" + id, LogPosition: pos}, nil
}

// GetDocument implements PetitionService.
func (s *Server) GetDocument(ctx context.Context, r *petitionsv1.GetDocumentRequest) (*petitionsv1.GetDocumentResponse, error) {
	d, b, err := s.App.Document(ctx, r.GetName(), r.GetMinPosition())
	if err != nil {
		return nil, err
	}
	return &petitionsv1.GetDocumentResponse{Document: documentEvent(d), Content: b}, nil
}

func documentEvent(d domain.Document) *petitionseventsv1.PetitionDocumentAttached {
	return &petitionseventsv1.PetitionDocumentAttached{DocumentId: d.ID, Kind: d.Kind, FileName: d.FileName, Sha256: d.SHA256,
		Size: d.Size, MediaType: d.MediaType, PersonalData: d.PersonalData, Object: d.Object, Sealed: d.Sealed, KeyId: d.KeyID}
}
