// Package app is the programmes context's application layer: a table of
// command handlers (app/command) built in one constructor. The store, the
// read-model facts the handlers check, the id generator and the clock come
// in from outside; nothing here knows gRPC. Queries are answered by the
// ports from the context's read model (readmodel.Programmes).
package app

import (
	"time"

	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/services/programmes/app/command"
)

// Application is the programmes context's table of handlers.
type Application struct {
	Commands Commands
}

// Commands are the programmes context's command handlers.
type Commands struct {
	CreateProgramme   command.CreateProgrammeHandler
	AddProject        command.AddProjectHandler
	AdoptProgramme    command.AdoptProgrammeHandler
	UpdateProgramme   command.UpdateProgrammeHandler
	RecordProgress    command.RecordProgressHandler
	EvaluateYear      command.EvaluateYearHandler
	ImportSurveyForms command.ImportSurveyFormsHandler
}

// New builds the table. ids makes import ids; now is the clock.
func New(store eventstore.Store, reg *es.Registry, facts command.Facts, ids command.IDs, now func() time.Time) Application {
	d := command.Deps{Store: store, Registry: reg, Facts: facts, IDs: ids, Now: now}
	return Application{Commands: Commands{
		CreateProgramme:   command.CreateProgrammeHandler{Deps: d},
		AddProject:        command.AddProjectHandler{Deps: d},
		AdoptProgramme:    command.AdoptProgrammeHandler{Deps: d},
		UpdateProgramme:   command.UpdateProgrammeHandler{Deps: d},
		RecordProgress:    command.RecordProgressHandler{Deps: d},
		EvaluateYear:      command.EvaluateYearHandler{Deps: d},
		ImportSurveyForms: command.ImportSurveyFormsHandler{Deps: d},
	}}
}
