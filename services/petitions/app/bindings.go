package app

import (
	"sync"

	"github.com/tasharuk/tasharuk/services/petitions/domain"
)

// maxKnownBindings bounds the bindings a Service remembers (about 100
// bytes each).
const maxKnownBindings = 1 << 16

// bindingCache remembers accounts whose binding to an ID number this
// process has seen whole: both halves written, each naming the other. A
// half is the first event of a stream created only if it does not exist
// and nothing releases it, so a binding seen whole never changes and the
// cache can be trusted without reading the log again: an account it knows
// signs with its number without reading its binding, or is refused at once
// with another. It never remembers a binding that is absent or half
// written (that can change). The zero value is an empty cache.
type bindingCache struct {
	mu sync.Mutex
	// signer maps council and account key to the signer key the account
	// is bound to.
	signer map[bindingKey]string
}

type bindingKey struct{ council, account string }

// get returns what the log holds of c's binding as far as the cache
// knows, and whether it knew the account: a known account is bound to its
// signer key, and that number to the account; of an unknown one nothing is
// assumed (the zero Binding: neither half bound).
func (b *bindingCache) get(c domain.Bind) (domain.Binding, bool) {
	b.mu.Lock()
	signer, ok := b.signer[bindingKey{c.Council, c.AccountKey}]
	b.mu.Unlock()
	if !ok {
		return domain.Binding{}, false
	}
	known := domain.Binding{AccountID: signer}
	if signer == c.SignerKey {
		known.IDAccount = c.AccountKey
	}
	return known, true
}

// put remembers that c's account and number are bound to each other
// (both halves written). When full it forgets an arbitrary entry.
func (b *bindingCache) put(c domain.Bind) {
	if c.Council == "" || c.AccountKey == "" || c.SignerKey == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.signer == nil {
		b.signer = make(map[bindingKey]string)
	}
	if len(b.signer) >= maxKnownBindings {
		for k := range b.signer {
			delete(b.signer, k)
			break
		}
	}
	b.signer[bindingKey{c.Council, c.AccountKey}] = c.SignerKey
}
