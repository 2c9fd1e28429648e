package app

import (
	"fmt"
	"testing"

	"github.com/tasharuk/tasharuk/internal/kernel/fault"
	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// The cache of whole bindings decides exactly as the log would: nothing
// assumed of an account it has not seen whole; a known account signs with
// its number without a binding to write, and is refused with another
// number (domain.DecideBinding) — in its council only.
func TestBindingCacheDecidesAsTheLog(t *testing.T) {
	var b bindingCache
	alice := domain.Bind{Council: "50910113", SignerKey: "key-a", AccountKey: "acct-alice"}
	if got, known := b.get(alice); known || got != (domain.Binding{}) {
		t.Fatalf("empty cache: %+v known=%v, want nothing known", got, known)
	}
	b.put(alice)
	got, known := b.get(alice)
	if !known {
		t.Fatal("a binding put is not known")
	}
	if id, account, err := domain.DecideBinding(got, alice); err != nil || id != nil || account != nil {
		t.Fatalf("the known account with its number: %v %v %v, want nothing to write", id, account, err)
	}
	other := alice
	other.SignerKey = "key-b"
	got, _ = b.get(other)
	_, _, err := domain.DecideBinding(got, other)
	if _, reason, ok := fault.Classify(err); !ok || reason != domain.ReasonAccountBoundToAnotherNationalID {
		t.Fatalf("the known account with another number: %v, want %s", err, domain.ReasonAccountBoundToAnotherNationalID)
	}
	elsewhere := alice
	elsewhere.Council = "50910101"
	if _, known := b.get(elsewhere); known {
		t.Fatal("a binding is known in another council")
	}
	b.put(domain.Bind{Council: "50910113", AccountKey: "acct-bob"})
	if _, known := b.get(domain.Bind{Council: "50910113", AccountKey: "acct-bob"}); known {
		t.Fatal("a binding without a number was remembered")
	}
	for i := range maxKnownBindings + 10 {
		b.put(domain.Bind{Council: "50910113", SignerKey: fmt.Sprint("k", i), AccountKey: fmt.Sprint("a", i)})
	}
	if n := len(b.signer); n > maxKnownBindings {
		t.Fatalf("%d bindings remembered, at most %d", n, maxKnownBindings)
	}
}
