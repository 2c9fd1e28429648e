package natsstore

import "github.com/tasharuk/tasharuk/eventstore"

// cachedHead is a stream's head with the JetStream sequence of its last
// message (0 for a stream with no events), the value the next append
// expects as the subject's last sequence.
type cachedHead struct {
	eventstore.Head
	seq uint64
}
