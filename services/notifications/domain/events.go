package domain

import (
	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/notifications/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the notifications context's events and their wire names.
var EventTypes = []es.Type{
	{Name: "notifications.MessageSent", Version: 1, Sample: &eventsv1.MessageSent{}},
	{Name: "notifications.MessageDeadLettered", Version: 1, Sample: &eventsv1.MessageDeadLettered{}},
	{Name: "notifications.MessageResent", Version: 1, Sample: &eventsv1.MessageResent{}},
	{Name: "notifications.MessageDropped", Version: 1, Sample: &eventsv1.MessageDropped{}},
	{Name: "notifications.FollowRequested", Version: 1, Sample: &eventsv1.FollowRequested{}},
	{Name: "notifications.FollowConfirmed", Version: 1, Sample: &eventsv1.FollowConfirmed{}},
	{Name: "notifications.FollowEnded", Version: 1, Sample: &eventsv1.FollowEnded{}},
}
