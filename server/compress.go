package server

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// compress gzips (or, for clients that prefer it, zstd-compresses) the
// responses of REST, the web pages and the open data files when the
// client accepts it and the body is over 1 KB: the region roll-up is
// ~95 KB of JSON, a tenth of that compressed (issue 14). Every response
// says Vary: Accept-Encoding. Bodies under 1 KB, bodies a handler already
// encoded (/metrics, which promhttp compresses itself), partial ones and
// already compressed media (images, archives) are sent as they are. gRPC
// never comes here: it has its own compression.
//
// BREACH (a secret and attacker-chosen text in one compressed body): the
// pages' one secret, the CSRF form token, belongs to a SameSite=Strict
// cookie, so a page requested from another site carries a fresh token, not
// the reader's; REST bodies carry no secret of the caller.
var compress = mustCompressor()

func mustCompressor() func(http.Handler) http.HandlerFunc {
	w, err := gzhttp.NewWrapper(gzhttp.MinSize(gzhttp.DefaultMinSize))
	if err != nil {
		panic(err)
	}
	return w
}
