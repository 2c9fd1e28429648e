// Package ports serves NotificationService: request → outbox or follows
// call → response, and the errors mapped to the catalogue's reasons.
package ports

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	notificationsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/notifications"
)

// Server implements notificationsv1.NotificationServiceServer.
type Server struct {
	notificationsv1.UnimplementedNotificationServiceServer
	Outbox  *notifications.Outbox
	Follows *notifications.Follows
}

// ListDeadLetters lists the dead letters.
func (s *Server) ListDeadLetters(ctx context.Context, _ *notificationsv1.ListDeadLettersRequest) (*notificationsv1.ListDeadLettersResponse, error) {
	dead, err := s.Outbox.DeadLetters(ctx)
	if err != nil {
		return nil, err
	}
	out := &notificationsv1.ListDeadLettersResponse{}
	for _, d := range dead {
		out.DeadLetters = append(out.DeadLetters, &notificationsv1.DeadLetter{Name: "deadLetters/" + d.Key, Kind: d.Kind, Council: d.Council, Petition: d.Petition,
			Channel: string(d.Channel), Attempts: int32(d.Attempts), LastError: d.LastError, DeadTime: timestamppb.New(d.At), EventId: d.EventID})
	}
	return out, nil
}

// ResendDeadLetter queues a dead letter again.
func (s *Server) ResendDeadLetter(ctx context.Context, req *notificationsv1.ResendDeadLetterRequest) (*notificationsv1.ResendDeadLetterResponse, error) {
	key, ok := strings.CutPrefix(req.GetName(), "deadLetters/")
	if !ok || key == "" || strings.ContainsAny(key, "./*> ") {
		return nil, fault.Field("name", "want deadLetters/{key}")
	}
	p, _ := access.PrincipalFrom(ctx)
	if err := s.Outbox.Resend(ctx, key, access.Actor(p)); err != nil {
		if errors.Is(err, notifications.ErrNotDeadLetter) {
			return nil, fault.New(fault.NotFound, "DEAD_LETTER_NOT_FOUND", "no dead letter %s", req.GetName())
		}
		return nil, err
	}
	return &notificationsv1.ResendDeadLetterResponse{}, nil
}

// CreateFollow records a follow waiting for confirmation.
func (s *Server) CreateFollow(ctx context.Context, req *notificationsv1.CreateFollowRequest) (*notificationsv1.CreateFollowResponse, error) {
	_, pos, err := s.Follows.Request(ctx, req.GetTarget(), req.GetEmail(), req.GetLanguage())
	if err != nil {
		return nil, followErr(err)
	}
	return &notificationsv1.CreateFollowResponse{Position: pos}, nil
}

// ConfirmFollow confirms a follow.
func (s *Server) ConfirmFollow(ctx context.Context, req *notificationsv1.ConfirmFollowRequest) (*notificationsv1.ConfirmFollowResponse, error) {
	pos, err := s.Follows.Confirm(ctx, req.GetFollow(), req.GetToken())
	if err != nil {
		return nil, followErr(err)
	}
	return &notificationsv1.ConfirmFollowResponse{Position: pos}, nil
}

// Unsubscribe ends a follow.
func (s *Server) Unsubscribe(ctx context.Context, req *notificationsv1.UnsubscribeRequest) (*notificationsv1.UnsubscribeResponse, error) {
	pos, err := s.Follows.Unsubscribe(ctx, req.GetFollow(), req.GetToken())
	if err != nil {
		return nil, followErr(err)
	}
	return &notificationsv1.UnsubscribeResponse{Position: pos}, nil
}

func followErr(err error) error {
	switch {
	case errors.Is(err, notifications.ErrBadTarget):
		return fault.New(fault.NotFound, "FOLLOW_TARGET_NOT_FOUND", "%s", err.Error())
	case errors.Is(err, notifications.ErrBadEmail):
		return fault.Field("email", "want one address such as name@example.ma")
	case errors.Is(err, notifications.ErrBadLanguage):
		return fault.Field("language", "ar, fr or en")
	case errors.Is(err, notifications.ErrBadLink):
		return fault.New(fault.Invalid, "FOLLOW_LINK_INVALID", "this link was not issued by this service or was altered")
	case errors.Is(err, notifications.ErrUnknownFollow):
		return fault.New(fault.NotFound, "FOLLOW_NOT_FOUND", "no such follow, or it has ended")
	}
	return err
}
