package web

import (
	"strings"
	"testing"

	"github.com/tasharuk/tasharuk/audit"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	advisory "github.com/tasharuk/tasharuk/services/advisory/domain"
	consultations "github.com/tasharuk/tasharuk/services/consultations/domain"
	identity "github.com/tasharuk/tasharuk/services/identity/domain"
	information "github.com/tasharuk/tasharuk/services/information/domain"
	notifications "github.com/tasharuk/tasharuk/services/notifications/domain"
	petitions "github.com/tasharuk/tasharuk/services/petitions/domain"
	programmes "github.com/tasharuk/tasharuk/services/programmes/domain"
	territory "github.com/tasharuk/tasharuk/services/territory/domain"
)

// Every event type of every context is named in every language: the
// petition timelines and the audit history show them (an untranslated one
// would show as its Go name).
func TestEveryEventTypeIsTranslated(t *testing.T) {
	cs := loadTestCatalogues(t)
	var all []es.Type
	for _, ts := range [][]es.Type{petitions.EventTypes, advisory.EventTypes, consultations.EventTypes, territory.EventTypes,
		identity.EventTypes, information.EventTypes, programmes.EventTypes, notifications.EventTypes, audit.EventTypes} {
		all = append(all, ts...)
	}
	if len(all) < 30 {
		t.Fatalf("only %d event types", len(all))
	}
	for _, et := range all {
		short := et.Name[strings.LastIndex(et.Name, ".")+1:]
		for _, l := range languages {
			if strings.TrimSpace(cs[l.Code].msgs["event."+short]) == "" {
				t.Errorf("%s: event.%s (%s) has no text", l.Code, short, et.Name)
			}
		}
	}
}
