// Package app is the consultations context's application layer: a table
// of command handlers (app/command, one file each) built in one
// constructor. The store, the read-model facts the handlers check, the id
// generator and the clock come in from outside; nothing here knows gRPC.
//
// The queries are still answered by the ports, from the context's own
// read model (readmodel.Consultations); moving them to app/query is left for later.
package app

import (
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/consultations/app/command"
)

// Application is the consultations context's table of handlers.
type Application struct {
	Commands Commands
}

// Commands are the consultations context's command handlers.
type Commands struct {
	CreateConsultation      command.CreateConsultationHandler
	AcknowledgeConsultation command.AcknowledgeConsultationHandler
	RecordWorkshop          command.RecordWorkshopHandler
	CompletePhase           command.CompletePhaseHandler
	AnswerConsultation      command.AnswerConsultationHandler
	WithdrawConsultation    command.WithdrawConsultationHandler
	RecordSurvey            command.RecordSurveyHandler
}

// New builds the table. ids makes consultation and survey ids; now is the
// clock.
func New(store eventstore.Store, reg *es.Registry, facts command.Facts, ids command.IDs, now func() time.Time) Application {
	d := command.Deps{Store: store, Registry: reg, Facts: facts, IDs: ids, Now: now}
	return Application{Commands: Commands{
		CreateConsultation:      command.CreateConsultationHandler{Deps: d},
		AcknowledgeConsultation: command.AcknowledgeConsultationHandler{Deps: d},
		RecordWorkshop:          command.RecordWorkshopHandler{Deps: d},
		CompletePhase:           command.CompletePhaseHandler{Deps: d},
		AnswerConsultation:      command.AnswerConsultationHandler{Deps: d},
		WithdrawConsultation:    command.WithdrawConsultationHandler{Deps: d},
		RecordSurvey:            command.RecordSurveyHandler{Deps: d},
	}}
}
