package domain_test

import (
	"strings"
	"testing"

	petitionseventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// The signature deciders, given/when/then like Decide's: past petition
// events folded with Evolve, the facts the app reads (the region's
// provinces, erasure), a command, then the event or the error. No store,
// no key store: the signer key and the sealed name are the app's.

const (
	signerKey  = "3f9a0c7e21b4d5e6f708192a3b4c5d6e"
	accountKey = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	khouribga  = "provinces/khouribga"
	azilal     = "provinces/azilal"
)

var (
	online = petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_ONLINE
	paper  = petitionseventsv1.SignatureChannel_SIGNATURE_CHANNEL_PAPER

	regionProvinces = domain.SignatureFacts{Provinces: map[string]bool{khouribga: true, azilal: true}}
)

func petitionName(council string) string { return council + "/petitions/" + petitionID }

// sign is a signature command; an online one comes from the account
// accountKey (a paper one belongs to no account).
func sign(council string, channel petitionseventsv1.SignatureChannel, province string) domain.Sign {
	c := domain.Sign{Petition: petitionName(council), SignerKey: signerKey, Channel: channel, Province: province, Batch: "batch-1"}
	if channel == online {
		c.Account = accountKey
	}
	return c
}

// decidedAs wraps a typed decision as an outcome, for the harness's checks.
func decidedAs(t *testing.T, level domain.Level, ev *petitionseventsv1.SignatureAdded, err error) *outcome {
	o := &outcome{t: t, level: level, err: err}
	if ev != nil {
		o.events = []domain.Event{{Payload: ev}}
	}
	return o
}

func (sc *scenario) whenSign(f domain.SignatureFacts, c domain.Sign) *outcome {
	ev, err := domain.DecideSignature(sc.state, f, c)
	return decidedAs(sc.t, sc.state.Level(), ev, err)
}

func (sc *scenario) whenSignRow(f domain.SignatureFacts, c domain.Sign) *outcome {
	ev, err := domain.DecideSignatureRow(sc.state, f, c)
	return decidedAs(sc.t, sc.state.Level(), ev, err)
}

func (sc *scenario) whenWithdrawSignature(c domain.WithdrawSignature) *outcome {
	evs, err := domain.DecideSignatureWithdrawal(sc.state, c)
	return &outcome{t: sc.t, level: sc.state.Level(), events: evs, err: err}
}

func (sc *scenario) whenStrike(c domain.StrikeSignature) *outcome {
	evs, err := domain.DecideSignatureStrike(sc.state, c)
	return &outcome{t: sc.t, level: sc.state.Level(), events: evs, err: err}
}

// A citizen signs online while the petition collects signatures; the
// event records the petition's full name, the signer key, the channel,
// the batch, the signing account's key and its level (CODE_VERIFIED: the
// ID number is self-declared), and a commune's petition records no
// province.
func TestSign_OnlineWhileCollecting(t *testing.T) {
	given(t, drafted(), opened()).whenSign(domain.SignatureFacts{}, sign(beniMellal, online, khouribga)).
		then(domain.Event{Payload: &petitionseventsv1.SignatureAdded{
			Petition: petitionName(beniMellal), SignerKey: signerKey, Channel: online, ImportBatch: "batch-1",
			SignerAccount: accountKey, Assurance: petitionseventsv1.SignatureAssurance_SIGNATURE_ASSURANCE_CODE_VERIFIED,
		}})
}

// Online signatures are taken only while collecting; paper sheets are keyed
// in until the bureau decides (they are deposited with the petition).
func TestSign_ChannelAndState(t *testing.T) {
	for _, tc := range []struct {
		name          string
		given         []domain.Recorded
		online, paper bool
	}{
		{"draft", []domain.Recorded{drafted()}, false, true},
		{"collecting", []domain.Recorded{drafted(), opened()}, true, true},
		{"deposited", hDeposited(), false, true},
		{"under review", hReview(), false, true},
		{"admissible", hAdmissible(), false, false},
		{"inadmissible", hInadmissible(), false, false},
		{"scheduled", hScheduled(), false, false},
		{"deliberated", hDeliberated(), false, false},
		{"withdrawn", []domain.Recorded{drafted(), opened(), withdrawn()}, false, false},
	} {
		for _, ch := range []struct {
			channel petitionseventsv1.SignatureChannel
			allowed bool
		}{{online, tc.online}, {paper, tc.paper}} {
			t.Run(tc.name+"/"+ch.channel.String(), func(t *testing.T) {
				o := given(t, tc.given...).whenSign(domain.SignatureFacts{}, sign(beniMellal, ch.channel, ""))
				if !ch.allowed {
					e := o.thenError(fault.FailedPrecondition, "NOT_COLLECTING")
					detailNames(t, e.Error(), domain.StateName(given(t, tc.given...).state.Status))
					return
				}
				if got := thenOne[*petitionseventsv1.SignatureAdded](o); got.Channel != ch.channel {
					t.Errorf("channel = %v, want %v", got.Channel, ch.channel)
				}
			})
		}
	}
}

func TestSign_NoPetition(t *testing.T) {
	given(t).whenSign(domain.SignatureFacts{}, sign(beniMellal, online, "")).thenError(fault.NotFound, "PETITION_NOT_FOUND")
}

// An association's petition has no signature minimum and takes no
// signatures (law 113-14 art. 123 (check)).
func TestSign_AssociationTakesNoSignatures_Law113_14_Art123(t *testing.T) {
	for _, ch := range []petitionseventsv1.SignatureChannel{online, paper} {
		given(t, associationDrafted(), opened()).whenSign(domain.SignatureFacts{}, sign(beniMellal, ch, "")).
			thenError(fault.FailedPrecondition, "NOT_COLLECTING")
	}
}

// A region counts signatures per province for the 5 % rule (law 111-14
// art. 120 (check)): the signer's province must be one of the region's,
// and it is recorded.
func TestSign_RegionProvince_Law111_14_Art120(t *testing.T) {
	h := []domain.Recorded{draftedIn(beniMellalReg), opened()}
	got := thenOne[*petitionseventsv1.SignatureAdded](given(t, h...).whenSign(regionProvinces, sign(beniMellalReg, online, azilal)))
	if got.Province != azilal {
		t.Errorf("province = %q, want %q", got.Province, azilal)
	}
	for _, p := range []string{"", "provinces/casablanca", beniMellalProv + "x"} {
		fe := given(t, h...).whenSign(regionProvinces, sign(beniMellalReg, online, p)).thenField("province")
		detailNames(t, fe.Error(), `"`+p+`"`)
	}
	// A province's petition records no province.
	ph := []domain.Recorded{draftedIn(beniMellalProv), opened()}
	if got := thenOne[*petitionseventsv1.SignatureAdded](given(t, ph...).whenSign(domain.SignatureFacts{}, sign(beniMellalProv, online, azilal))); got.Province != "" {
		t.Errorf("a province's petition recorded province %q", got.Province)
	}
}

// An erased person signs no more (law 09-08); the province, being input,
// is reported first.
func TestSign_ErasedPerson_Law09_08(t *testing.T) {
	given(t, drafted(), opened()).whenSign(domain.SignatureFacts{Erased: true}, sign(beniMellal, online, "")).
		thenError(fault.FailedPrecondition, domain.ReasonPersonErased)
	erased := regionProvinces
	erased.Erased = true
	h := []domain.Recorded{draftedIn(beniMellalReg), opened()}
	given(t, h...).whenSign(erased, sign(beniMellalReg, online, "")).thenField("province")
	given(t, h...).whenSign(erased, sign(beniMellalReg, online, khouribga)).thenError(fault.FailedPrecondition, domain.ReasonPersonErased)
}

// A sheet's rows are decided with DecideSignatureRow once the petition was
// checked for the paper channel: wherever the sheet is allowed, a row's
// decision is the signature's.
func TestSignatureRow_SameAsSignature(t *testing.T) {
	for _, h := range [][]domain.Recorded{
		{drafted()}, {drafted(), opened()}, hDeposited(), hReview(),
		{draftedIn(beniMellalReg)}, {draftedIn(beniMellalReg), opened()},
	} {
		st := given(t, h...).state
		if domain.SignatureAllowed(st, paper) != nil {
			t.Fatalf("paper refused in %s", domain.StateName(st.Status))
		}
		for _, f := range []domain.SignatureFacts{{}, regionProvinces, {Erased: true}} {
			for _, p := range []string{"", azilal} {
				c := sign(st.Council, paper, p)
				a, errA := domain.DecideSignature(st, f, c)
				b, errB := domain.DecideSignatureRow(st, f, c)
				if (errA == nil) != (errB == nil) || (errA != nil && errA.Error() != errB.Error()) {
					t.Errorf("%s %v %q: signature %v, row %v", st.Council, f, p, errA, errB)
				}
				if errA == nil && (a.Province != b.Province || a.Petition != b.Petition || a.Channel != b.Channel) {
					t.Errorf("%s %v %q: signature %v, row %v", st.Council, f, p, a, b)
				}
			}
		}
	}
}

// A signer withdraws their signature before deposit only (DOMAIN.md §5).
func TestWithdrawSignature_BeforeDeposit(t *testing.T) {
	for _, h := range [][]domain.Recorded{{drafted()}, {drafted(), opened()}} {
		given(t, h...).whenWithdrawSignature(domain.WithdrawSignature{Reason: "changé d'avis"}).
			then(domain.Event{Payload: &petitionseventsv1.SignatureWithdrawn{Reason: "changé d'avis"}})
	}
	for _, h := range [][]domain.Recorded{hDeposited(), hReview(), hAdmissible(), hDeliberated()} {
		sc := given(t, h...)
		e := sc.whenWithdrawSignature(domain.WithdrawSignature{}).thenError(fault.FailedPrecondition, "ALREADY_DEPOSITED")
		detailNames(t, e.Error(), domain.StateName(sc.state.Status))
	}
}

// Staff strike a signature out with a reason until the bureau decides;
// a reference naming no single signature is refused after the rules.
func TestStrikeSignature(t *testing.T) {
	ok := domain.StrikeSignature{Ref: signerKey[:12], Reason: "CIN illisible", Found: true}
	for _, h := range [][]domain.Recorded{{drafted(), opened()}, hDeposited(), hReview()} {
		given(t, h...).whenStrike(ok).then(domain.Event{Payload: &petitionseventsv1.SignatureStruck{Reason: "CIN illisible"}})
	}
	for _, reason := range []string{"", "   ", strings.Repeat("r", domain.MaxShort+1)} {
		given(t, drafted(), opened()).whenStrike(domain.StrikeSignature{Ref: ok.Ref, Reason: reason, Found: true}).thenField("reason")
	}
	for _, h := range [][]domain.Recorded{hAdmissible(), hInadmissible(), append(hDeliberated(), outcomeNotified(), closed())} {
		// The state is reported before the reference.
		given(t, h...).whenStrike(domain.StrikeSignature{Ref: "nope", Reason: "doublon"}).thenError(fault.FailedPrecondition, "WRONG_STATE")
	}
	e := given(t, hDeposited()...).whenStrike(domain.StrikeSignature{Ref: "3f9a", Reason: "doublon"}).thenError(fault.NotFound, "SIGNATURE_NOT_FOUND")
	detailNames(t, e.Error(), `"3f9a"`)
}

// A paper sheet's row for a region records the signer's province, refuses
// one outside the region and an erased person, like an online signature.
func TestSignatureRow_Region_Law111_14_Art120(t *testing.T) {
	h := []domain.Recorded{draftedIn(beniMellalReg)}
	got := thenOne[*petitionseventsv1.SignatureAdded](given(t, h...).whenSignRow(regionProvinces, sign(beniMellalReg, paper, khouribga)))
	if got.Province != khouribga || got.Channel != paper || got.ImportBatch != "batch-1" {
		t.Errorf("row = %v, want province %s, paper, batch-1", got, khouribga)
	}
	given(t, h...).whenSignRow(regionProvinces, sign(beniMellalReg, paper, "provinces/rabat")).thenField("province")
	erased := regionProvinces
	erased.Erased = true
	given(t, h...).whenSignRow(erased, sign(beniMellalReg, paper, khouribga)).thenError(fault.FailedPrecondition, domain.ReasonPersonErased)
}
