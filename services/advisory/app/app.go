// Package app is the advisory context's application layer: a table of
// command handlers (app/command, one file each) built in one constructor.
// The store, the read-model facts the handlers check, the id generator and
// the clock come in from outside; nothing here knows gRPC.
//
// The queries are still answered by the ports, from the context's own
// read model (readmodel.Bodies); moving them to app/query is left for later.
package app

import (
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/advisory/app/command"
)

// Application is the advisory context's table of handlers.
type Application struct {
	Commands Commands
}

// Commands are the advisory context's command handlers.
type Commands struct {
	CreateBody       command.CreateBodyHandler
	AddMember        command.AddMemberHandler
	RemoveMember     command.RemoveMemberHandler
	AssignBureauRole command.AssignBureauRoleHandler
	RecordMeeting    command.RecordMeetingHandler
	CreateOpinion    command.CreateOpinionHandler
	AdoptOpinion     command.AdoptOpinionHandler
	TransmitOpinion  command.TransmitOpinionHandler
	RespondToOpinion command.RespondToOpinionHandler
}

// New builds the table. ids makes opinion ids; now is the clock.
func New(store eventstore.Store, reg *es.Registry, facts command.Facts, ids command.IDs, now func() time.Time) Application {
	d := command.Deps{Store: store, Registry: reg, Facts: facts, IDs: ids, Now: now}
	return Application{Commands: Commands{
		CreateBody:       command.CreateBodyHandler{Deps: d},
		AddMember:        command.AddMemberHandler{Deps: d},
		RemoveMember:     command.RemoveMemberHandler{Deps: d},
		AssignBureauRole: command.AssignBureauRoleHandler{Deps: d},
		RecordMeeting:    command.RecordMeetingHandler{Deps: d},
		CreateOpinion:    command.CreateOpinionHandler{Deps: d},
		AdoptOpinion:     command.AdoptOpinionHandler{Deps: d},
		TransmitOpinion:  command.TransmitOpinionHandler{Deps: d},
		RespondToOpinion: command.RespondToOpinionHandler{Deps: d},
	}}
}
