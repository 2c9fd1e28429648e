package web

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Africa/Casablanca on any machine, with or without a zoneinfo database

	"google.golang.org/protobuf/types/known/timestamppb"
)

// casablanca is Morocco's time zone: dates are shown in it, never in UTC.
var casablanca = mustZone("Africa/Casablanca")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("web: time zone " + name + ": " + err.Error()) // embedded by time/tzdata: cannot fail
	}
	return loc
}

// nothing is what a figure shows when there is nothing to compute it from
// (an acceptance rate with no decision): never a misleading 0.
const nothing = "—"

// Int writes a whole number grouped by thousands the locale's way, with
// Western digits as Moroccan administration writes them: 2,510,799 (en),
// 2 510 799 (fr, narrow no-break spaces), 2.510.799 (ar).
func (l *Locale) Int(n any) string {
	var v int64
	switch n := n.(type) {
	case int:
		v = int64(n)
	case int32:
		v = int64(n)
	case int64:
		v = n
	case uint32:
		v = int64(n)
	case uint64:
		v = int64(n)
	default:
		return ""
	}
	return l.group(strconv.FormatInt(v, 10))
}

func (l *Locale) group(digits string) string {
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	sep := l.T("fmt.group")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// decimal writes f with one decimal, in the locale's way (66,7 in French
// and Arabic, 66.7 in English).
func (l *Locale) decimal(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	return l.group(whole) + l.T("fmt.decimal") + frac
}

// Pct formats a share 0..1 as a percentage.
func (l *Locale) Pct(share float64) string {
	return l.T("fmt.percent", l.decimal(share*100))
}

// PctOf formats a share as a percentage, or "—" when it has no base
// (no decision, no participant, no member): of is that base.
func (l *Locale) PctOf(of any, share float64) string {
	if l.Int(of) == "" || l.Int(of) == "0" {
		return nothing
	}
	return l.Pct(share)
}

// Num formats a float with one decimal.
func (l *Locale) Num(f float64) string {
	return l.decimal(f)
}

// NumOf formats a figure computed from a base (days to a decision, of the
// decisions), or "—" when the base is empty.
func (l *Locale) NumOf(of any, f float64) string {
	if l.Int(of) == "" || l.Int(of) == "0" {
		return nothing
	}
	return l.decimal(f)
}

// Date is a day in the reader's language, in Morocco's time zone
// ("2 novembre 2026").
func (l *Locale) Date(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return l.day(ts.AsTime().In(casablanca))
}

func (l *Locale) day(t time.Time) string {
	return l.T("fmt.date", t.Day(), l.T("month."+strconv.Itoa(int(t.Month()))), t.Year())
}

// DateTime is a day and time in the reader's language, in Morocco's time
// zone ("2 novembre 2026 10:00").
func (l *Locale) DateTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	t := ts.AsTime().In(casablanca)
	return l.T("fmt.datetime", l.day(t), t.Format("15:04"))
}

// Today is the day of t in Morocco (what date fields default to).
func today(t time.Time) string { return t.In(casablanca).Format("2006-01-02") }
