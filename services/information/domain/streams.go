package domain

import (
	"strconv"
	"strings"
)

// Stream ids of the information context. A stream id is part of every
// event's hash chain (DESIGN.md "Events"), so these formats are persisted
// names: this file is the only place they are spelled
// (internal/kernel/streamids_test.go checks it), and none may ever change.
//
//	inforequest.<council code>.<request id>   one request for information
//	inforeceipts.<council code>.<year>        the council's receipt ledger for requests of a year
//	publication.<council code>                the council's register of proactive publication (law 31-13 art. 10)
//	workcalendar.<year>                       corrections of the year's public holidays
const (
	RequestCategory     = "inforequest"
	ReceiptCategory     = "inforeceipts"
	PublicationCategory = "publication"
	CalendarCategory    = "workcalendar"
)

const sep = "."

// Category returns the part of a stream id before the first dot.
func Category(stream string) string {
	c, _, _ := strings.Cut(stream, sep)
	return c
}

// RequestStream is the stream of request id of the council code.
func RequestStream(code, id string) string { return RequestCategory + sep + code + sep + id }

// ParseRequestStream splits a request stream into council code and request
// id; ok is false for any other stream.
func ParseRequestStream(stream string) (code, id string, ok bool) {
	rest, ok := strings.CutPrefix(stream, RequestCategory+sep)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, sep)
}

// ReceiptStream is the receipt ledger of the council code for year.
func ReceiptStream(code string, year int) string {
	return ReceiptCategory + sep + code + sep + strconv.Itoa(year)
}

// PublicationStream is the publication register of the council code.
func PublicationStream(code string) string { return PublicationCategory + sep + code }

// ParsePublicationStream returns the council code of a register stream.
func ParsePublicationStream(stream string) (code string, ok bool) {
	return strings.CutPrefix(stream, PublicationCategory+sep)
}

// CalendarStream is the stream of corrections to year's holidays.
func CalendarStream(year int) string { return CalendarCategory + sep + strconv.Itoa(year) }

// ParseCalendarStream returns the year of a calendar stream.
func ParseCalendarStream(stream string) (year int, ok bool) {
	rest, ok := strings.CutPrefix(stream, CalendarCategory+sep)
	if !ok {
		return 0, false
	}
	y, err := strconv.Atoi(rest)
	return y, err == nil
}

// StreamCouncil returns the council code a request, receipts or register
// stream carries, or "" for the others (the calendar is national).
func StreamCouncil(stream string) string {
	cat, rest, ok := strings.Cut(stream, sep)
	if !ok || (cat != RequestCategory && cat != ReceiptCategory && cat != PublicationCategory) {
		return ""
	}
	code, _, _ := strings.Cut(rest, sep)
	return code
}
