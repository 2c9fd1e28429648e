// Package ports is the identity context's gRPC server: requests become
// commands of the app, results become responses, nothing else.
package ports

import (
	"context"

	"github.com/tasharuk/tasharuk/access"
	identityv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/v1"
	"github.com/tasharuk/tasharuk/services/identity/app"
)

// Server implements identityv1.IdentityServiceServer.
type Server struct {
	identityv1.UnimplementedIdentityServiceServer
	App *app.Service
}

func account(a *identityv1.Account) app.Account {
	return app.Account{Email: a.GetEmail(), Phone: a.GetPhone(), Subject: a.GetSubject()}
}

func actor(ctx context.Context) access.Principal {
	p, _ := access.PrincipalFrom(ctx)
	return p
}

// GrantRole implements IdentityService.
func (s *Server) GrantRole(ctx context.Context, r *identityv1.GrantRoleRequest) (*identityv1.GrantRoleResponse, error) {
	key, pos, err := s.App.GrantRole(ctx, access.Actor(actor(ctx)), app.Grant{Account: account(r.GetAccount()), Role: r.GetRole(), Council: r.GetCouncil()})
	if err != nil {
		return nil, err
	}
	return &identityv1.GrantRoleResponse{User: app.UserName(key), LogPosition: pos}, nil
}

// RevokeRole implements IdentityService.
func (s *Server) RevokeRole(ctx context.Context, r *identityv1.RevokeRoleRequest) (*identityv1.RevokeRoleResponse, error) {
	key, pos, err := s.App.RevokeRole(ctx, access.Actor(actor(ctx)), app.Revocation{Account: account(r.GetAccount()), Role: r.GetRole(), Council: r.GetCouncil(), Reason: r.GetReason()})
	if err != nil {
		return nil, err
	}
	return &identityv1.RevokeRoleResponse{User: app.UserName(key), LogPosition: pos}, nil
}
