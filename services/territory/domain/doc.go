// Package domain is the territory bounded context's pure core: the councils
// (communes, provinces, regions) that citizens petition, the rulebook that
// applies at each level, the decider that turns commands into events, and
// the census import plan. It does no I/O and reads no clock: callers pass
// in what it needs.
package domain
