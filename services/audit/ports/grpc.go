// Package ports serves tasharuk.audit.v1.AuditService: case histories from
// the read model, and the verifiable log's key, checkpoints and proofs.
package ports

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tasharuk/tasharuk/access"
	auditeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/events/v1"
	auditv1 "github.com/tasharuk/tasharuk/api/tasharuk/audit/v1"
	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/projections"
	"github.com/tasharuk/tasharuk/services/audit/readmodel"
	petitionsrm "github.com/tasharuk/tasharuk/services/petitions/readmodel"
)

// Petitions is what the audit service reads of the petitions context:
// whether a petition is public yet.
type Petitions interface {
	Petition(name string) (petitionsrm.Petition, bool)
}

// Server implements auditv1.AuditServiceServer.
type Server struct {
	auditv1.UnimplementedAuditServiceServer
	Store        eventstore.Store
	Registry     *es.Registry
	Runner       *projections.Runner
	Model        *readmodel.History
	Petitions    Petitions
	Checkpointer *audit.Checkpointer
	VerifierKey  string
	Origin       string
	LogName      string
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// GetCaseHistory implements AuditService.
func (s *Server) GetCaseHistory(ctx context.Context, r *auditv1.GetCaseHistoryRequest) (*auditv1.GetCaseHistoryResponse, error) {
	if r.GetName() == "" {
		return nil, fault.Field("name", "the full resource name of a petition, advisory body, opinion, consultation or survey")
	}
	if err := s.Runner.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	hist, ok := s.Model.CaseHistory(r.GetName())
	if ok {
		// A petition drafted but never opened is not public: its history
		// is seen by those who may see the draft itself, and by no one else.
		if p, isPetition := s.Petitions.Petition(r.GetName()); isPetition && !p.State.Public() && !access.MaySeeUnpublished(ctx, p.State.Council, p.State.Agent) {
			ok = false
		}
	}
	if !ok {
		return nil, fault.New(fault.NotFound, "CASE_NOT_FOUND", "no case %s", r.GetName())
	}
	resp := &auditv1.GetCaseHistoryResponse{}
	for _, h := range hist {
		resp.Entries = append(resp.Entries, &auditv1.HistoryEntry{
			EventId: h.ID, Type: h.Type, SchemaVersion: h.Version, Position: h.Position, Revision: h.Revision,
			OccurTime: ts(h.OccurredAt), RecordTime: ts(h.RecordedAt), Actor: h.Actor.Subject, ActorRole: h.Actor.Role, ActorCouncil: h.Actor.Council,
			Hash: hex.EncodeToString(h.Hash), PrevHash: hex.EncodeToString(h.PrevHash), StateAfter: h.StateAfter, Summary: h.Summary,
		})
	}
	return resp, nil
}

// GetPublicKey implements AuditService.
func (s *Server) GetPublicKey(context.Context, *auditv1.GetPublicKeyRequest) (*auditv1.GetPublicKeyResponse, error) {
	return &auditv1.GetPublicKeyResponse{VerifierKey: s.VerifierKey, Origin: s.Origin}, nil
}

// ListCheckpoints implements AuditService: the checkpoint events of the log.
func (s *Server) ListCheckpoints(ctx context.Context, r *auditv1.ListCheckpointsRequest) (*auditv1.ListCheckpointsResponse, error) {
	if err := s.Runner.WaitFor(ctx, r.GetMinPosition()); err != nil {
		return nil, err
	}
	evs, err := s.Store.ReadStream(ctx, audit.CheckpointStream(s.LogName), 0, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return &auditv1.ListCheckpointsResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	resp := &auditv1.ListCheckpointsResponse{}
	for i := range evs {
		p, err := s.Registry.DecodeEvent(&evs[i])
		if err != nil {
			return nil, err
		}
		cp, ok := p.(*auditeventsv1.CheckpointRecorded)
		if !ok {
			continue
		}
		resp.Checkpoints = append(resp.Checkpoints, &auditv1.Checkpoint{TreeSize: cp.GetTreeSize(), RootHash: base64.StdEncoding.EncodeToString(cp.GetRootHash()),
			SignedNote: cp.GetSignedNote(), CosignedNote: cp.GetSignedNote(), Position: evs[i].Position, RecordTime: ts(evs[i].RecordedAt)})
	}
	if err := s.addCosignatures(ctx, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// addCosignatures adds to each checkpoint the cosignatures the witnesses
// gave it (the cosignature events of the log), and says how far each
// witness cosigned.
func (s *Server) addCosignatures(ctx context.Context, resp *auditv1.ListCheckpointsResponse) error {
	evs, err := s.Store.ReadStream(ctx, audit.CosignatureStream(s.LogName), 0, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	bySize := map[uint64]*auditv1.Checkpoint{}
	for _, c := range resp.Checkpoints {
		bySize[c.GetTreeSize()] = c
	}
	status := map[string]*auditv1.WitnessStatus{}
	var order []string
	for i := range evs {
		p, err := s.Registry.DecodeEvent(&evs[i])
		if err != nil {
			return err
		}
		cs, ok := p.(*auditeventsv1.CheckpointCosigned)
		if !ok {
			continue
		}
		// The line the witness added, checked against nothing here: whoever
		// relies on it checks it with the witness's key (audit verify
		// --witness). What the collector recorded it had checked.
		c := bySize[cs.GetTreeSize()]
		if c == nil || !bytes.Equal(cs.GetRootHash(), mustB64(c.GetRootHash())) {
			continue
		}
		lines := strings.TrimPrefix(cs.GetCosignedNote(), c.GetSignedNote())
		if lines == cs.GetCosignedNote() {
			continue
		}
		if !slices.Contains(c.Witnesses, cs.GetWitness()) {
			c.Witnesses = append(c.Witnesses, cs.GetWitness())
			c.CosignedNote = audit.AddSignatures(c.GetCosignedNote(), lines)
		}
		w := status[cs.GetWitness()]
		if w == nil {
			w = &auditv1.WitnessStatus{Name: cs.GetWitness()}
			status[cs.GetWitness()] = w
			order = append(order, cs.GetWitness())
		}
		if cs.GetTreeSize() >= w.GetTreeSize() {
			w.TreeSize, w.RootHash = cs.GetTreeSize(), c.GetRootHash()
			if sigs, err := audit.CosignatureTimes(lines); err == nil && len(sigs) > 0 {
				w.CosignTime = timestamppb.New(sigs[0])
			}
		}
	}
	for _, name := range order {
		resp.Witnesses = append(resp.Witnesses, status[name])
	}
	return nil
}

func mustB64(s string) []byte {
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}

func hashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// GetInclusionProof implements AuditService.
func (s *Server) GetInclusionProof(ctx context.Context, r *auditv1.GetInclusionProofRequest) (*auditv1.GetInclusionProofResponse, error) {
	pos := int64(r.GetPosition())
	if pos < 1 {
		return nil, fault.Field("position", "a log position, from 1")
	}
	size, root := s.Checkpointer.Root()
	if r.GetTreeSize() > 0 {
		size = int64(r.GetTreeSize())
	}
	if pos > size {
		return nil, fault.New(fault.FailedPrecondition, "POSITION_NOT_COVERED", "position %d is beyond the tree of %d events; retry once it is covered", pos, size)
	}
	proof, err := s.Checkpointer.InclusionProofAt(pos, size)
	if err != nil {
		return nil, fault.New(fault.FailedPrecondition, "POSITION_NOT_COVERED", "%v", err)
	}
	if r.GetTreeSize() > 0 {
		if cur, _ := s.Checkpointer.Root(); size > cur {
			return nil, fault.New(fault.FailedPrecondition, "POSITION_NOT_COVERED", "tree size %d is beyond the current tree of %d", size, cur)
		}
		rootAt, err := s.root(size)
		if err != nil {
			return nil, err
		}
		root = rootAt
	}
	// The event's hash comes from the tree, not from a read of the log: a
	// point read can load a whole storage block from disk.
	leaf, err := s.Checkpointer.EventHash(pos)
	if err != nil {
		return nil, fault.New(fault.FailedPrecondition, "POSITION_NOT_COVERED", "%v", err)
	}
	return &auditv1.GetInclusionProofResponse{Position: uint64(pos), TreeSize: uint64(size), RootHash: base64.StdEncoding.EncodeToString(root[:]),
		EventHash: hex.EncodeToString(leaf[:]), Proof: hashes(proof)}, nil
}

func (s *Server) root(size int64) (tlog.Hash, error) {
	return s.Checkpointer.RootAt(size)
}

// GetConsistencyProof implements AuditService.
func (s *Server) GetConsistencyProof(ctx context.Context, r *auditv1.GetConsistencyProofRequest) (*auditv1.GetConsistencyProofResponse, error) {
	cur, curRoot := s.Checkpointer.Root()
	newSize := int64(r.GetNewSize())
	if newSize == 0 {
		newSize = cur
	}
	oldSize := int64(r.GetOldSize())
	if oldSize < 1 || oldSize > newSize || newSize > cur {
		return nil, fault.Field("old_size", "need 1 <= old_size <= new_size <= %d", cur)
	}
	proof, err := s.Checkpointer.ConsistencyProof(oldSize, newSize)
	if err != nil {
		return nil, err
	}
	oldRoot, err := s.root(oldSize)
	if err != nil {
		return nil, err
	}
	newRoot := curRoot
	if newSize != cur {
		if newRoot, err = s.root(newSize); err != nil {
			return nil, err
		}
	}
	return &auditv1.GetConsistencyProofResponse{OldSize: uint64(oldSize), OldRoot: base64.StdEncoding.EncodeToString(oldRoot[:]),
		NewSize: uint64(newSize), NewRoot: base64.StdEncoding.EncodeToString(newRoot[:]), Proof: hashes(proof)}, nil
}
