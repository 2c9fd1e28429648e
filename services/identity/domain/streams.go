package domain

import "strings"

// Stream ids of the identity context, persisted names like every stream id
// (part of each event's hash chain): this file is the only place they are
// spelled, and they never change.
//
//	user.<user key>   one account's grants, revocations and contact details
const UserCategory = "user"

// sep separates the parts of a stream id.
const sep = "."

// UserStream is the stream of the account whose user key is userKey (a
// keyed hash of its subject: a stream id is published in exports, and a
// subject may be derived from an email address).
func UserStream(userKey string) string { return UserCategory + sep + userKey }

// ParseUserStream returns the user key of a user stream; ok is false for
// any other stream.
func ParseUserStream(stream string) (userKey string, ok bool) {
	return strings.CutPrefix(stream, UserCategory+sep)
}
