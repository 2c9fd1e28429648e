package names

import "strings"

// Level of a council, as the collection of its resource names spells it
// ("communes/081301"): the three levels of the organic laws 113-14
// (communes), 112-14 (provinces and prefectures) and 111-14 (regions).
// Petitions, advisory bodies and consultations each defined this type;
// they share this one.
type Level string

// Council levels.
const (
	Commune  Level = "communes"
	Province Level = "provinces"
	Region   Level = "regions"
)

// LevelOf returns the level of a council resource name ("communes/x"), or
// of any resource name under a council. It does not validate: a name of
// another collection gives a Level none of the constants equal.
func LevelOf(name string) Level {
	prefix, _, _ := strings.Cut(name, "/")
	return Level(prefix)
}
