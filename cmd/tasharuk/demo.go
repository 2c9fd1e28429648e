package main

import (
	"context"
	"fmt"
	"log/slog"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/eventstore"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
	"github.com/tasharuk/tasharuk/projections"
	papp "github.com/tasharuk/tasharuk/services/petitions/app"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
	tapp "github.com/tasharuk/tasharuk/services/territory/app"
	tdomain "github.com/tasharuk/tasharuk/services/territory/domain"
)

// demoCommunes are a few communes of Béni Mellal-Khénifra (2024 census),
// enough for a newcomer to see the product at work. The full list is
// imported with `tasharuk territory import`.
var demoCommunes = []tdomain.CensusRow{
	{Line: 2, Code: "50910101", Name: "Béni Mellal", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 209104},
	{Line: 3, Code: "50910107", Name: "Kasba Tadla", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 47399},
	{Line: 4, Code: "50910113", Name: "Zaouiat Cheikh", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 25063},
	{Line: 5, Code: "50910103", Name: "El Ksiba", Province: "Béni Mellal", Region: "Béni Mellal-Khénifra", Population: 19959},
}

// seedDemo imports the demo communes and a few sample petitions, on an
// empty log only.
func seedDemo(ctx context.Context, store eventstore.Store, reg *es.Registry, svc *papp.Service, model *projections.Runner, logger *slog.Logger) error {
	head, err := store.LastPosition(ctx)
	if err != nil {
		return err
	}
	if head > 0 {
		logger.Info("demo data skipped: the log is not empty", "position", head)
		return nil
	}
	admin := eventstore.Actor{Subject: "demo-admin", Role: "admin"}
	im := &tapp.Importer{Store: store, Registry: reg, Now: svc.Now}
	rep, err := im.Import(ctx, demoCommunes, 2024, "demo (RGPH 2024)", admin)
	if err != nil {
		return err
	}
	if err := model.WaitFor(ctx, rep.LastPosition); err != nil {
		return err
	}
	citizen := eventstore.Actor{Subject: "demo-agent", Role: "citizen"}
	staff := eventstore.Actor{Subject: "demo-clerk", Role: "staff", Council: "50910113"}
	now := svc.Now()

	// A petition collecting signatures in Zaouiat Cheikh.
	n, _, err := svc.Create(ctx, citizen, papp.Draft{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Éclairage public du quartier Al Massira", Request: "Inscrire à l'ordre du jour l'extension de l'éclairage public au quartier Al Massira.",
		Reasons: "Le quartier n'est pas éclairé la nuit ; les habitants, surtout les femmes et les élèves, demandent un éclairage pour leur sécurité."})
	if err != nil {
		return err
	}
	// Submitted for signatures, then cleared by the council's moderation.
	if _, _, err := svc.Open(ctx, citizen, n.String()); err != nil {
		return err
	}
	_, pos, err := svc.Act(ctx, staff, n.String(), domain.Moderate{Clear: true})
	if err != nil {
		return err
	}
	// Signing checks the read model's view of the petition: wait for it.
	if err := model.WaitFor(ctx, pos); err != nil {
		return err
	}
	for i := range 12 {
		// Each demo signer signs from their own account: an account signs
		// once, with one ID number.
		signer := eventstore.Actor{Subject: fmt.Sprintf("demo-signer-%d", i+1), Role: "citizen"}
		if _, _, err := svc.Sign(ctx, signer, n.String(), papp.Signature{NationalID: fmt.Sprintf("I%06d", 100+i), FullName: fmt.Sprintf("Signataire %d", i+1), Channel: petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE}); err != nil {
			return err
		}
	}

	// A paper petition deposited four months ago, referred to the bureau
	// and still undecided: overdue.
	n2, _, err := svc.Create(ctx, citizen, papp.Draft{Parent: "communes/50910113", Kind: petitionseventsv1.PetitionerKind_PETITIONER_KIND_CITIZENS,
		Title: "Aménagement du souk hebdomadaire", Request: "Aménager l'espace du souk hebdomadaire (sol, eau, toilettes).",
		Reasons: "Le souk est boueux en hiver et sans point d'eau ; commerçants et visiteurs le réclament."})
	if err != nil {
		return err
	}
	if _, _, _, err = svc.Deposit(ctx, staff, n2.String(), now.AddDate(0, -4, 0), petitionseventsv1.DepositChannel_DEPOSIT_CHANNEL_PAPER, []string{"liste des signataires", "copies des CIN"}); err != nil {
		return err
	}
	// The president referred it to the bureau (law 113-14 art. 125), whose
	// decision is awaited: the bureau decides only a referred petition.
	if _, pos, err = svc.Act(ctx, staff, n2.String(), domain.ReferToBureau{}); err != nil {
		return err
	}
	logger.Info("demo data loaded", "communes", rep.Registered, "petitions", 2, "position", pos)
	return model.WaitFor(ctx, pos)
}
