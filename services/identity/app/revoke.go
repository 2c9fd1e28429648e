package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/identity/domain"
)

// Revocation is a role to revoke.
type Revocation struct {
	Account Account
	Role    string
	Council string
	Reason  string
}

// RevokeRole revokes a role granted before (domain.DecideRevoke).
func (s *Service) RevokeRole(ctx context.Context, actor eventstore.Actor, r Revocation) (string, uint64, error) {
	a, err := s.resolve(r.Account)
	if err != nil {
		return "", 0, err
	}
	pos, err := s.execute(ctx, actor, a.userKey, func(st domain.State) ([]proto.Message, error) {
		return domain.DecideRevoke(st, domain.RevokeRole{UserKey: a.userKey, Role: r.Role, Council: r.Council, Reason: r.Reason})
	})
	return a.userKey, pos, err
}
