// Package names holds the request vocabulary several contexts share: page
// sizes and page tokens today (resource names and as-of parsing are to
// follow, see ../shared/DESIGN.md "Layout").
package names

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/tasharuk/tasharuk/internal/kernel/fault"
)

// MaxPageSize is the largest page any list returns (AIP-158: larger
// requests are coerced down, not refused).
const MaxPageSize = 500

// PageSize reads a request's page_size: 0 means def, more than
// MaxPageSize is coerced to it, negative is refused.
func PageSize(size, def int) (int, error) {
	switch {
	case size < 0:
		return 0, fault.Field("page_size", "must not be negative")
	case size == 0:
		return def, nil
	case size > MaxPageSize:
		return MaxPageSize, nil
	}
	return size, nil
}

// EncodePageToken is the token of the page that starts at offset. With
// query parts (the filter, the parent, ...) the token carries their
// fingerprint, so DecodePageToken refuses it for another query; without,
// it is the offset alone. Tokens are opaque to clients; the two formats
// ("<offset>" and "<offset>|<fingerprint>", base64url without padding)
// are what the lists returned before this package, kept so a token a
// client holds still reads.
func EncodePageToken(offset int, query ...string) string {
	s := strconv.Itoa(offset)
	if len(query) > 0 {
		s += "|" + fingerprint(query)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// DecodePageToken returns the offset a token from EncodePageToken with the
// same query parts stands for; "" is the first page. ok is false for
// anything else: the caller refuses it with its own message.
func DecodePageToken(tok string, query ...string) (offset int, ok bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	off := string(b)
	if len(query) > 0 {
		var fp string
		if off, fp, ok = strings.Cut(off, "|"); !ok || fp != fingerprint(query) {
			return 0, false
		}
	}
	n, err := strconv.Atoi(off)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// fingerprint is FNV-1a (32 bits) of the query parts joined by NUL, in
// base 36.
func fingerprint(query []string) string {
	var h uint32 = 2166136261
	for _, c := range []byte(strings.Join(query, "\x00")) {
		h = (h ^ uint32(c)) * 16777619
	}
	return strconv.FormatUint(uint64(h), 36)
}
