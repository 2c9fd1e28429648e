package command

import (
	"context"

	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/programmes/domain"
)

// AddProject adds a project to a draft programme.
type AddProject struct {
	Programme Programme
	Project   *eventsv1.Project
}

// AddProjectHandler runs AddProject.
type AddProjectHandler struct{ Deps }

// Handle records the project and returns the log position written.
func (h AddProjectHandler) Handle(ctx context.Context, actor eventstore.Actor, c AddProject) (uint64, error) {
	if c.Project == nil {
		return 0, fault.Field("project", "required")
	}
	return h.act(ctx, actor, c.Programme, domain.AddProject{Project: c.Project})
}

// AdoptProgramme records the adoption.
type AdoptProgramme struct {
	Programme Programme
	domain.Adopt
}

// AdoptProgrammeHandler runs AdoptProgramme.
type AdoptProgrammeHandler struct{ Deps }

// Handle records the adoption and returns the log position written.
func (h AdoptProgrammeHandler) Handle(ctx context.Context, actor eventstore.Actor, c AdoptProgramme) (uint64, error) {
	return h.act(ctx, actor, c.Programme, c.Adopt)
}

// UpdateProgramme records a new version.
type UpdateProgramme struct {
	Programme Programme
	domain.Update
}

// UpdateProgrammeHandler runs UpdateProgramme.
type UpdateProgrammeHandler struct{ Deps }

// Handle records the update and returns the log position written.
func (h UpdateProgrammeHandler) Handle(ctx context.Context, actor eventstore.Actor, c UpdateProgramme) (uint64, error) {
	return h.act(ctx, actor, c.Programme, c.Update)
}

// RecordProgress records a project's progress.
type RecordProgress struct {
	Programme Programme
	domain.RecordProgress
}

// RecordProgressHandler runs RecordProgress.
type RecordProgressHandler struct{ Deps }

// Handle records the progress and returns the log position written.
func (h RecordProgressHandler) Handle(ctx context.Context, actor eventstore.Actor, c RecordProgress) (uint64, error) {
	if c.Progress == nil {
		return 0, fault.Field("progress", "required")
	}
	return h.act(ctx, actor, c.Programme, c.RecordProgress)
}

// EvaluateYear records a yearly evaluation.
type EvaluateYear struct {
	Programme Programme
	domain.EvaluateYear
}

// EvaluateYearHandler runs EvaluateYear.
type EvaluateYearHandler struct{ Deps }

// Handle records the evaluation and returns the log position written.
func (h EvaluateYearHandler) Handle(ctx context.Context, actor eventstore.Actor, c EvaluateYear) (uint64, error) {
	return h.act(ctx, actor, c.Programme, c.EvaluateYear)
}
