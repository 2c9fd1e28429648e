// Package app carries out the territory context's commands against the
// event log: it loads a council from its stream, lets the domain decide,
// and appends the events with an optimistic concurrency check, retrying
// when another writer got there first. It knows nothing of gRPC.
package app
