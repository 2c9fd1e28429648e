// Package app is the information context's application layer: a table of
// command handlers (app/command) and query handlers (app/query), one file
// each, built in one constructor. The store, the read models, the keys,
// the id generator and the clock come in from outside; nothing here knows
// gRPC.
package app

import (
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/information/app/command"
	"github.com/tasharuk/tasharuk/services/information/app/query"
	"github.com/tasharuk/tasharuk/services/information/readmodel"
)

// Application is the information context's table of handlers.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands are the command handlers.
type Commands struct {
	CreateRequest     command.CreateRequestHandler
	ExtendRequest     command.ExtendRequestHandler
	AnswerRequest     command.AnswerRequestHandler
	Complain          command.ComplainHandler
	DecideComplaint   command.DecideComplaintHandler
	RecordPublication command.RecordPublicationHandler
	CorrectHoliday    command.CorrectHolidayHandler
	RevealRequester   command.RevealRequesterHandler
}

// Queries are the query handlers.
type Queries struct {
	GetRequest   query.GetRequestHandler
	ListRequests query.ListRequestsHandler
	Figures      query.FiguresHandler
	Publications query.PublicationsHandler
	Calendar     query.CalendarHandler
}

// Deps is what New needs.
type Deps struct {
	Store      eventstore.Store
	Registry   *es.Registry
	Model      *readmodel.Model
	Councils   command.Councils
	Persons    command.PersonKeys
	Requesters command.RequesterKeys
	IDs        command.IDs
	Now        func() time.Time
}

// New builds the table.
func New(d Deps) Application {
	c := command.Deps{Store: d.Store, Registry: d.Registry, Model: d.Model, Councils: d.Councils, Persons: d.Persons, Requesters: d.Requesters, IDs: d.IDs, Now: d.Now}
	q := query.Deps{Model: d.Model, Councils: d.Councils, Requesters: d.Requesters, Now: d.Now}
	return Application{
		Commands: Commands{
			CreateRequest: command.CreateRequestHandler{Deps: c}, ExtendRequest: command.ExtendRequestHandler{Deps: c},
			AnswerRequest: command.AnswerRequestHandler{Deps: c}, Complain: command.ComplainHandler{Deps: c},
			DecideComplaint: command.DecideComplaintHandler{Deps: c}, RecordPublication: command.RecordPublicationHandler{Deps: c},
			CorrectHoliday: command.CorrectHolidayHandler{Deps: c}, RevealRequester: command.RevealRequesterHandler{Deps: c},
		},
		Queries: Queries{
			GetRequest: query.GetRequestHandler{Deps: q}, ListRequests: query.ListRequestsHandler{Deps: q},
			Figures: query.FiguresHandler{Deps: q}, Publications: query.PublicationsHandler{Deps: q}, Calendar: query.CalendarHandler{Deps: q},
		},
	}
}
