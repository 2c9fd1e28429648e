// Package eventlog serves tasharuk.eventlog.v1.EventLogService: facts about
// the log itself (head position, backend), never event payloads.
package eventlog

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventlogv1 "github.com/tasharuk/tasharuk/api/tasharuk/eventlog/v1"
	"github.com/tasharuk/tasharuk/eventstore"
)

// LogFacts describes the backend; natsstore.Store provides it.
type LogFacts interface {
	StreamName() string
	Replicas() int
	LastRecordedAt(ctx context.Context) (time.Time, error)
}

// Server implements EventLogService.
type Server struct {
	eventlogv1.UnimplementedEventLogServiceServer
	store   eventstore.Store
	backend string
	facts   LogFacts
}

// NewServer returns the service over store; facts may be nil.
func NewServer(store eventstore.Store, backend string, facts LogFacts) *Server {
	return &Server{store: store, backend: backend, facts: facts}
}

// GetLogInfo implements EventLogService.
func (s *Server) GetLogInfo(ctx context.Context, _ *eventlogv1.GetLogInfoRequest) (*eventlogv1.GetLogInfoResponse, error) {
	head, err := s.store.LastPosition(ctx)
	if err != nil {
		return nil, err
	}
	resp := &eventlogv1.GetLogInfoResponse{HeadPosition: head, Backend: s.backend}
	if s.facts != nil {
		resp.LogName = s.facts.StreamName()
		resp.Replicas = int32(s.facts.Replicas())
		at, err := s.facts.LastRecordedAt(ctx)
		if err != nil {
			return nil, err
		}
		if !at.IsZero() {
			resp.LastRecordedAt = timestamppb.New(at)
		}
	}
	return resp, nil
}
