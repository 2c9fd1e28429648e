// Package domain holds the notifications context's persisted names: its
// stream-id formats and event types.
package domain

import "strings"

// Stream ids of the notifications context; this file is the only place
// they are spelled (internal/kernel/streamids_test.go checks it).
//
//	notification.<message key>   the delivery facts of one message
//	follow.<follow id>           one follow of a petition or a council
const (
	NotificationCategory = "notification"
	FollowCategory       = "follow"
)

const sep = "."

// NotificationStream is the stream of one message's delivery facts.
func NotificationStream(messageKey string) string { return NotificationCategory + sep + messageKey }

// FollowStream is the stream of one follow.
func FollowStream(followID string) string { return FollowCategory + sep + followID }

// ParseFollowStream returns the follow id of a follow stream.
func ParseFollowStream(stream string) (string, bool) {
	return strings.CutPrefix(stream, FollowCategory+sep)
}

// Category is the category of a stream id.
func Category(stream string) string {
	c, _, _ := strings.Cut(stream, sep)
	return c
}
