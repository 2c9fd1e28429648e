// Package readmodel holds the identity context's read models.
package readmodel

import (
	"bytes"
	"encoding/gob"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	identityeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/identity/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/identity/domain"
)

// Roles answers "which roles was this account granted?" from the
// grants and revocations in the log: the lookup one-time-code sessions use
// for staff, advisory members, auditors and admins, whose roles come from
// an administrator rather than a provider's claims. It is a read model of
// the projections runner (Name, Apply, Snapshot, Restore) and safe for
// concurrent use.
type Roles struct {
	userKey func(subject string) string

	mu       sync.RWMutex
	grants   map[string]map[domain.Grant]bool // user key → grants in force
	position uint64
}

// NewRoles returns an empty model; userKey derives an account's user key
// from its subject (privacy.Keys.UserKey).
func NewRoles(userKey func(subject string) string) *Roles {
	return &Roles{userKey: userKey, grants: map[string]map[domain.Grant]bool{}}
}

// Name is the model's section in the snapshot file.
func (m *Roles) Name() string { return "identity.roles" }

// Apply applies one event of the log; other contexts' events are ignored.
func (m *Roles) Apply(e *eventstore.Event, payload proto.Message) error {
	key, ok := domain.ParseUserStream(e.Stream)
	if !ok {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.position = e.Position
	switch p := payload.(type) {
	case *identityeventsv1.RoleGranted:
		if m.grants[key] == nil {
			m.grants[key] = map[domain.Grant]bool{}
		}
		m.grants[key][domain.Grant{Role: p.GetRole(), Council: p.GetCouncil()}] = true
	case *identityeventsv1.RoleRevoked:
		delete(m.grants[key], domain.Grant{Role: p.GetRole(), Council: p.GetCouncil()})
		if len(m.grants[key]) == 0 {
			delete(m.grants, key)
		}
	}
	return nil
}

// RolesOf returns the roles in force for the account with this subject,
// sorted by role then council; none for an account without grants (a
// citizen).
func (m *Roles) RolesOf(subject string) []domain.Grant {
	key := m.userKey(subject)
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]domain.Grant, 0, len(m.grants[key]))
	for g := range m.grants[key] {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b domain.Grant) int {
		if a.Role != b.Role {
			if a.Role < b.Role {
				return -1
			}
			return 1
		}
		switch {
		case a.Council < b.Council:
			return -1
		case a.Council > b.Council:
			return 1
		}
		return 0
	})
	return out
}

// Holders returns the user keys of the accounts holding role for council
// in force (granted, not revoked), sorted: "staff" of a council gets its
// daily digest, "advisory" its bodies' consultations. A user key is a
// keyed hash of the subject, never the subject or a contact detail: the
// notifications outbox opens the account's sealed contact (its
// ContactRecorded, which that outbox keeps as it reads the log) only when
// it sends, so this answer carries no personal data.
func (m *Roles) Holders(role, council string) []string {
	g := domain.Grant{Role: role, Council: council}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for key, gs := range m.grants {
		if gs[g] {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// Position is the log position of the last identity event applied.
func (m *Roles) Position() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.position
}

type rolesSnapshot struct {
	Grants   map[string][]domain.Grant
	Position uint64
}

// Snapshot encodes the model (gob).
func (m *Roles) Snapshot() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := rolesSnapshot{Grants: map[string][]domain.Grant{}, Position: m.position}
	for k, gs := range m.grants {
		for g := range gs {
			s.Grants[k] = append(s.Grants[k], g)
		}
	}
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(s)
	return b.Bytes(), err
}

// Restore replaces the model with a snapshot.
func (m *Roles) Restore(data []byte) error {
	var s rolesSnapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return err
	}
	grants := map[string]map[domain.Grant]bool{}
	for k, gs := range s.Grants {
		grants[k] = map[domain.Grant]bool{}
		for _, g := range gs {
			grants[k][g] = true
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.grants, m.position = grants, s.Position
	return nil
}

// Holding is one grant in force: the user key of the account (a keyed
// hash of its subject, never an address) and the role it holds.
type Holding struct {
	UserKey string
	domain.Grant
}

// InForce returns every grant in force, sorted by role, council, then
// user key: the administrator's page lists them. Like Holders, it carries
// no personal data.
func (m *Roles) InForce() []Holding {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Holding
	for key, gs := range m.grants {
		for g := range gs {
			out = append(out, Holding{UserKey: key, Grant: g})
		}
	}
	slices.SortFunc(out, func(a, b Holding) int {
		for _, c := range [][2]string{{a.Role, b.Role}, {a.Council, b.Council}, {a.UserKey, b.UserKey}} {
			if c[0] != c[1] {
				if c[0] < c[1] {
					return -1
				}
				return 1
			}
		}
		return 0
	})
	return out
}
