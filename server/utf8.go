package server

import (
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// utf8Guard answers 400 INVALID_ARGUMENT, before the gateway, for a REST
// request whose path or query decodes to bytes that are not UTF-8 text
// (`?pageToken=%ff`). Protocol buffer strings must be UTF-8: the gateway
// would put the bytes in the request message, fail to marshal it for the
// gRPC call and answer 500 (issue 13). The answer is the gateway's own
// error shape, with the catalogue's reason.
func utf8Guard(gw *runtime.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := invalidUTF8(r); msg != "" {
			_, out := runtime.MarshalerForRequest(gw, r)
			runtime.HTTPError(r.Context(), gw, out, w, r, Status("INVALID_ARGUMENT", msg, nil))
			return
		}
		gw.ServeHTTP(w, r)
	})
}

// invalidUTF8 says what in r is not UTF-8 text, or "" when all is.
func invalidUTF8(r *http.Request) string {
	if !utf8.ValidString(r.URL.Path) {
		return "the path is not UTF-8 text once percent-decoded: check the resource name"
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return fmt.Sprintf("the query string is malformed: %v", err)
	}
	for k, vs := range q {
		if !utf8.ValidString(k) {
			return "a query parameter's name is not UTF-8 text once percent-decoded"
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				if k == "pageToken" || k == "page_token" {
					return fmt.Sprintf("page_token (query parameter %s): not a token from this list; pass next_page_token exactly as the previous page returned it", k)
				}
				return fmt.Sprintf("query parameter %s is not UTF-8 text once percent-decoded", k)
			}
		}
	}
	return ""
}
