package domain

import (
	ieventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/information/events/v1"
	"github.com/tasharuk/tasharuk/internal/kernel/es"
)

// EventTypes are the information context's events with their wire names.
var EventTypes = []es.Type{
	{Name: "information.RequestReceived", Version: 1, Sample: &ieventsv1.RequestReceived{}},
	{Name: "information.RequestExtended", Version: 1, Sample: &ieventsv1.RequestExtended{}},
	{Name: "information.RequestAnswered", Version: 1, Sample: &ieventsv1.RequestAnswered{}},
	{Name: "information.ComplaintLodged", Version: 1, Sample: &ieventsv1.ComplaintLodged{}},
	{Name: "information.ComplaintDecided", Version: 1, Sample: &ieventsv1.ComplaintDecided{}},
	{Name: "information.HolidayCorrected", Version: 1, Sample: &ieventsv1.HolidayCorrected{}},
	{Name: "information.PublicationRecorded", Version: 1, Sample: &ieventsv1.PublicationRecorded{}},
	{Name: "information.ReceiptIssued", Version: 1, Sample: &ieventsv1.ReceiptIssued{}},
	{Name: "information.RequesterRevealed", Version: 1, Sample: &ieventsv1.RequesterRevealed{}},
	{Name: "information.RequesterErased", Version: 1, Sample: &ieventsv1.RequesterErased{}},
}
