// Package readmodel is the territory context's read model: the councils
// by code and their tree (region → provinces → communes), from the
// council.<code> streams. The projections runner feeds it (Apply); the
// territory service, and the other contexts that need a council's level,
// parent or population, query it.
package readmodel

import (
	"bytes"
	"encoding/gob"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	territoryeventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/territory/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/services/territory/domain"
)

// Councils is the councils' read model. It is safe for concurrent use.
type Councils struct {
	mu       sync.RWMutex
	councils map[string]*domain.Council // by code
	children map[string][]string        // parent code → child codes, in registration order
}

// New returns an empty read model.
func New() *Councils {
	return &Councils{councils: map[string]*domain.Council{}, children: map[string][]string{}}
}

// Name is the model's section in the snapshot file.
func (m *Councils) Name() string { return "territory" }

// Apply applies a council event; it ignores other streams.
func (m *Councils) Apply(e *eventstore.Event, payload proto.Message) error {
	if cat, _, _ := strings.Cut(e.Stream, "."); cat != domain.CouncilCategory {
		return nil
	}
	var code string
	switch p := payload.(type) {
	case *territoryeventsv1.CouncilRegistered:
		code = p.GetCode()
	case *territoryeventsv1.CouncilPopulationRecorded:
		code = p.GetCode()
	case *territoryeventsv1.CouncilArabicNameRecorded:
		code = p.GetCode()
	default:
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var st domain.State
	if c, ok := m.councils[code]; ok {
		st = domain.State{Registered: true, Council: *c}
	}
	st = domain.Evolve(st, payload)
	if !st.Registered {
		return nil
	}
	if _, existed := m.councils[code]; !existed && st.Council.ParentCode != "" {
		m.children[st.Council.ParentCode] = append(m.children[st.Council.ParentCode], code)
	}
	c := st.Council
	m.councils[code] = &c
	return nil
}

// snapshot is the model's section of the snapshot file.
type snapshot struct {
	Councils []domain.Council
	Children map[string][]string
}

// Snapshot encodes the model.
func (m *Councils) Snapshot() ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := snapshot{Children: m.children}
	for _, c := range m.councils {
		s.Councils = append(s.Councils, *c)
	}
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(&s)
	return buf.Bytes(), err
}

// Restore replaces the model with an encoded one.
func (m *Councils) Restore(data []byte) error {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.councils = make(map[string]*domain.Council, len(s.Councils))
	for i := range s.Councils {
		c := s.Councils[i]
		m.councils[c.Code] = &c
	}
	m.children = s.Children
	if m.children == nil {
		m.children = map[string][]string{}
	}
	return nil
}

// Digest writes the councils and their children, by code.
func (m *Councils) Digest(write func(any)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	codes := make([]string, 0, len(m.councils))
	for c := range m.councils {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		write(m.councils[c])
		kids := append([]string(nil), m.children[c]...)
		sort.Strings(kids)
		write(kids)
	}
}

// Council returns a council by code.
func (m *Councils) Council(code string) (domain.Council, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.councils[code]
	if !ok {
		return domain.Council{}, false
	}
	return *c, true
}

// Councils returns the councils under parent (every level below it; all
// councils for ""), at level (any for UNSPECIFIED), ordered by code.
func (m *Councils) Councils(parent string, level territoryeventsv1.CouncilLevel) []domain.Council {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []domain.Council
	add := func(c *domain.Council) {
		if level == territoryeventsv1.CouncilLevel_COUNCIL_LEVEL_UNSPECIFIED || c.Level == level {
			out = append(out, *c)
		}
	}
	if parent == "" {
		for _, c := range m.councils {
			add(c)
		}
	} else {
		m.walk(parent, add)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Below returns every council below code (not code itself), parents
// before their children, in registration order.
func (m *Councils) Below(code string) []domain.Council {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []domain.Council
	m.walk(code, func(c *domain.Council) { out = append(out, *c) })
	return out
}

// walk visits every council below code (not code itself). Lock held.
func (m *Councils) walk(code string, visit func(*domain.Council)) {
	for _, child := range m.children[code] {
		if c, ok := m.councils[child]; ok {
			visit(c)
			m.walk(child, visit)
		}
	}
}

// ChildCodes returns the codes of a council's direct children.
func (m *Councils) ChildCodes(code string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := append([]string(nil), m.children[code]...)
	sort.Strings(out)
	return out
}
