// Package filter reads the values of list filters (filter=state=DEPOSITED).
package filter

import (
	"sort"
	"strings"
)

// Enum finds the number of the enum value v names, for an enum whose value
// names start with prefix ("PETITION_STATE_"): the full name responses
// use (PETITION_STATE_DEPOSITED) or the short one (DEPOSITED), in any case.
// The zero (unspecified) value is never found: it filters nothing.
func Enum(values map[string]int32, prefix, v string) (int32, bool) {
	v = strings.ToUpper(strings.TrimSpace(v))
	if !strings.HasPrefix(v, prefix) {
		v = prefix + v
	}
	n, ok := values[v]
	return n, ok && n != 0
}

// Names lists an enum's short value names in number order, then, the same
// values in full, so a refusal names exactly what Enum accepts:
// "COLLECTING, DEPOSITED (or PETITION_STATE_COLLECTING, ...)".
func Names(names map[int32]string, prefix string) string {
	nums := make([]int32, 0, len(names))
	for n := range names {
		if n != 0 {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	short := make([]string, len(nums))
	for i, n := range nums {
		short[i] = strings.TrimPrefix(names[n], prefix)
	}
	if len(nums) == 0 {
		return ""
	}
	return strings.Join(short, ", ") + " (or the full names, such as " + names[nums[0]] + ")"
}
