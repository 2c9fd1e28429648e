package domain

import (
	"fmt"
	"slices"
	"time"
)

// Day is a civil day (Morocco, Africa/Casablanca), held as midnight UTC of
// that date so that arithmetic never crosses a time-zone change.
type Day = time.Time

// DayLayout is how days are written: "2026-05-26".
const DayLayout = time.DateOnly

// ParseDay reads "YYYY-MM-DD".
func ParseDay(s string) (Day, error) {
	d, err := time.Parse(DayLayout, s)
	if err != nil {
		return Day{}, fmt.Errorf("%q is not a day YYYY-MM-DD", s)
	}
	return d, nil
}

// casablanca is Morocco's zone; the tzdata is embedded by the binary's
// import of time/tzdata when the system has none.
var casablanca = func() *time.Location {
	if l, err := time.LoadLocation("Africa/Casablanca"); err == nil {
		return l
	}
	return time.FixedZone("+01", 3600)
}()

// DayOf returns the civil day in Morocco of an instant.
func DayOf(t time.Time) Day {
	y, m, d := t.In(casablanca).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Holiday is one public holiday of a year.
type Holiday struct {
	// Key names the holiday in corrections ("eid-al-adha-1").
	Key  string
	Name string
	Date Day
	// Lunar holidays move with the sighting of the moon; their default
	// dates are expected ones until an administrator records the
	// announced date (HolidayCorrected).
	Lunar bool
	// Confirmed is true once a correction recorded the date.
	Confirmed bool
}

// fixedHolidays are Morocco's fixed-date public holidays (month, day, key,
// name). 14 January, Yennayer (the Amazigh new year), is a holiday since
// 2024; 31 October (Aid al-Wahda, the unity day) was made one in 2025.
// Dates checked against the 2026 calendar published by lenouvelliste.ma
// (https://www.lenouvelliste.ma/jours-feries-ce-que-prevoit-le-calendrier-2026).
var fixedHolidays = []struct {
	month     time.Month
	day       int
	key, name string
	since     int
}{
	{time.January, 1, "new-year", "Nouvel An", 0},
	{time.January, 11, "independence-manifesto", "Manifeste de l'Indépendance", 0},
	{time.January, 14, "yennayer", "Nouvel An amazigh", 2024},
	{time.May, 1, "labour-day", "Fête du Travail", 0},
	{time.July, 30, "throne-day", "Fête du Trône", 0},
	{time.August, 14, "oued-eddahab", "Allégeance Oued Eddahab", 0},
	{time.August, 20, "revolution-day", "Révolution du Roi et du Peuple", 0},
	{time.August, 21, "youth-day", "Fête de la Jeunesse", 0},
	{time.October, 31, "unity-day", "Fête de l'Unité", 2025},
	{time.November, 6, "green-march", "Marche Verte", 0},
	{time.November, 18, "independence-day", "Fête de l'Indépendance", 0},
}

// lunarDefaults are the expected dates of the lunar holidays (Eid al-Fitr
// and Eid al-Adha two days each, 1 Muharram, the Mawlid two days), for the
// years the product ships defaults for. 2026: as published in advance
// (lenouvelliste.ma, above); 2025: as celebrated; 2027: astronomical
// expectations. Every one is data an administrator corrects when the date
// is announced.
var lunarDefaults = map[int][]Holiday{
	2025: {
		{Key: "eid-al-fitr-1", Name: "Aïd al-Fitr", Date: day(2025, 3, 31)},
		{Key: "eid-al-fitr-2", Name: "Aïd al-Fitr (2)", Date: day(2025, 4, 1)},
		{Key: "eid-al-adha-1", Name: "Aïd al-Adha", Date: day(2025, 6, 7)},
		{Key: "eid-al-adha-2", Name: "Aïd al-Adha (2)", Date: day(2025, 6, 8)},
		{Key: "muharram", Name: "1er Moharram", Date: day(2025, 6, 27)},
		{Key: "mawlid-1", Name: "Aïd al-Mawlid", Date: day(2025, 9, 5)},
		{Key: "mawlid-2", Name: "Aïd al-Mawlid (2)", Date: day(2025, 9, 6)},
	},
	2026: {
		{Key: "eid-al-fitr-1", Name: "Aïd al-Fitr", Date: day(2026, 3, 20)},
		{Key: "eid-al-fitr-2", Name: "Aïd al-Fitr (2)", Date: day(2026, 3, 21)},
		{Key: "eid-al-adha-1", Name: "Aïd al-Adha", Date: day(2026, 5, 27)},
		{Key: "eid-al-adha-2", Name: "Aïd al-Adha (2)", Date: day(2026, 5, 28)},
		{Key: "muharram", Name: "1er Moharram", Date: day(2026, 6, 17)},
		{Key: "mawlid-1", Name: "Aïd al-Mawlid", Date: day(2026, 8, 26)},
		{Key: "mawlid-2", Name: "Aïd al-Mawlid (2)", Date: day(2026, 8, 27)},
	},
	2027: {
		{Key: "eid-al-fitr-1", Name: "Aïd al-Fitr", Date: day(2027, 3, 10)},
		{Key: "eid-al-fitr-2", Name: "Aïd al-Fitr (2)", Date: day(2027, 3, 11)},
		{Key: "eid-al-adha-1", Name: "Aïd al-Adha", Date: day(2027, 5, 17)},
		{Key: "eid-al-adha-2", Name: "Aïd al-Adha (2)", Date: day(2027, 5, 18)},
		{Key: "muharram", Name: "1er Moharram", Date: day(2027, 6, 7)},
		{Key: "mawlid-1", Name: "Aïd al-Mawlid", Date: day(2027, 8, 16)},
		{Key: "mawlid-2", Name: "Aïd al-Mawlid (2)", Date: day(2027, 8, 17)},
	},
}

func day(y int, m time.Month, d int) Day { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// DefaultHolidays returns the year's holidays before any correction: the
// fixed ones, and the lunar ones for the years with defaults.
func DefaultHolidays(year int) []Holiday {
	var out []Holiday
	for _, f := range fixedHolidays {
		if year >= f.since {
			out = append(out, Holiday{Key: f.key, Name: f.name, Date: day(year, f.month, f.day)})
		}
	}
	for _, h := range lunarDefaults[year] {
		h.Lunar = true
		out = append(out, h)
	}
	sortHolidays(out)
	return out
}

func sortHolidays(hs []Holiday) {
	slices.SortFunc(hs, func(a, b Holiday) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return compareStrings(a.Key, b.Key)
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Correction is an administrator's correction of one holiday's date (a
// HolidayCorrected event): Date zero removes the holiday.
type Correction struct {
	Year    int
	Key     string
	Name    string
	Date    Day
	Removed bool
}

// Calendar is the working-day calendar as known at one moment: the
// defaults and the corrections recorded up to then. Working days exclude
// Saturdays, Sundays and public holidays. The zero Calendar knows the
// defaults only. A Calendar caches the years it was asked about and is
// not safe for concurrent use: build one per question.
type Calendar struct {
	corrections []Correction
	cache       map[int]map[Day]Holiday
}

// NewCalendar returns the calendar with these corrections applied in
// order (a later one wins).
func NewCalendar(corrections []Correction) *Calendar {
	return &Calendar{corrections: slices.Clone(corrections)}
}

// Holidays returns the year's holidays in date order.
func (c *Calendar) Holidays(year int) []Holiday {
	hs := DefaultHolidays(year)
	byKey := map[string]int{}
	for i, h := range hs {
		byKey[h.Key] = i
	}
	var removed []string
	for _, k := range c.correctionsOf(year) {
		i, ok := byKey[k.Key]
		if k.Removed {
			removed = append(removed, k.Key)
			continue
		}
		removed = slices.DeleteFunc(removed, func(r string) bool { return r == k.Key })
		if !ok {
			hs = append(hs, Holiday{Key: k.Key, Name: k.Name, Date: k.Date, Lunar: true, Confirmed: true})
			byKey[k.Key] = len(hs) - 1
			continue
		}
		hs[i].Date, hs[i].Confirmed = k.Date, true
		if k.Name != "" {
			hs[i].Name = k.Name
		}
	}
	hs = slices.DeleteFunc(hs, func(h Holiday) bool { return slices.Contains(removed, h.Key) })
	sortHolidays(hs)
	return hs
}

func (c *Calendar) correctionsOf(year int) []Correction {
	if c == nil {
		return nil
	}
	var out []Correction
	for _, k := range c.corrections {
		if k.Year == year {
			out = append(out, k)
		}
	}
	return out
}

// Known reports whether key is a holiday of year (by default or by an
// earlier correction), or a lunar key any year may hold.
func (c *Calendar) Known(year int, key string) bool {
	for _, h := range c.Holidays(year) {
		if h.Key == key {
			return true
		}
	}
	for _, h := range lunarDefaults[2026] {
		if h.Key == key {
			return true
		}
	}
	return false
}

func (c *Calendar) holidaySet(year int) map[Day]Holiday {
	if c.cache == nil {
		c.cache = map[int]map[Day]Holiday{}
	}
	if m, ok := c.cache[year]; ok {
		return m
	}
	m := map[Day]Holiday{}
	for _, h := range c.Holidays(year) {
		m[h.Date] = h
	}
	c.cache[year] = m
	return m
}

// WorkingDay reports whether d is a working day: not a Saturday, Sunday
// or public holiday.
func (c *Calendar) WorkingDay(d Day) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, holiday := c.holidaySet(d.Year())[d]
	return !holiday
}

// AddWorkingDays returns the n-th working day after d (d itself does not
// count: a deadline of 20 working days "from receipt" runs from the day
// after).
func (c *Calendar) AddWorkingDays(d Day, n int) Day {
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.WorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts the working days after from up to and
// including to (0 when to is not after from).
func (c *Calendar) WorkingDaysBetween(from, to Day) int {
	n := 0
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if c.WorkingDay(d) {
			n++
		}
	}
	return n
}
