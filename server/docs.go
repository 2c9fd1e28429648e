package server

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"time"

	"github.com/tasharuk/tasharuk"
)

// docs/ holds the API docs page and its renderer, Redoc 2.5.2 (npm package
// redoc, bundles/redoc.standalone.js, MIT: docs/redoc.LICENSE; the licences
// of what it bundles: docs/redoc.standalone.js.LICENSE.txt), vendored so
// that the page needs no CDN and passes the site's Content-Security-Policy
// (default-src 'self').
//
//go:embed docs
var docsFiles embed.FS

// handleDocs serves the OpenAPI description at /openapi.json and the page
// that renders it at /docs.
func handleDocs(mux *http.ServeMux) {
	mux.HandleFunc("GET /openapi.json", serveOpenAPI)
	static, _ := fs.Sub(docsFiles, "docs")
	files := http.FileServerFS(static)
	mux.Handle("GET /docs/", http.StripPrefix("/docs/", files))
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		page, _ := fs.ReadFile(static, "index.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(page))
	})
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	doc, err := tasharuk.OpenAPI()
	if err != nil {
		// Only a binary built before scripts/generate ran lacks it.
		http.Error(w, "the OpenAPI description was not generated into this build", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, "openapi.json", time.Time{}, bytes.NewReader(doc))
}
