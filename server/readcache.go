package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tasharuk/tasharuk/internal/httpx"
)

// readCache makes the public's reads of a petition cheap when it goes viral
// (issue 17, acceptance 4): GET /v1/{council}/petitions/{id} asked without a
// bearer token and without a query (no min_position, no as_of) is answered
// once and then from that answer while the read models stay at the log
// position it was taken at, or, if they moved on, while it is under a
// second old (a read without min_position may trail the log, as the read
// models do; the answer also depends on the service's clock, so never past
// a second of it either); one request at a time computes it, the ones
// arriving meanwhile wait for its answer. Each answer has an ETag (a hash of the body and the language asked for) that turns a
// revalidation into 304 Not Modified, and Cache-Control: public, max-age=1
// (a read without min_position may trail the log; one with min_position has
// a query and is answered afresh, so read-your-writes holds). A request with
// a token is never cached, and its answer says private, no-store.
type readCache struct {
	position func() uint64
	now      func() time.Time

	mu      sync.Mutex
	m       map[string]*cachedRead
	answers singleflight.Group
}

type cachedRead struct {
	header   http.Header
	body     []byte
	etag     string
	position uint64
	at       time.Time // the service's clock
	taken    time.Time // the wall clock

	gzOnce sync.Once
	gz     []byte // the body gzipped, once a reader accepts it
}

// gzipped is the body compressed once (nil if it is too small to gain or
// could not be compressed).
func (e *cachedRead) gzipped() []byte {
	e.gzOnce.Do(func() {
		if len(e.body) < 1024 || e.header.Get("Content-Encoding") != "" {
			return
		}
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if err != nil {
			return
		}
		if _, err := zw.Write(e.body); err == nil && zw.Close() == nil {
			e.gz = buf.Bytes()
		}
	})
	return e.gz
}

const (
	readCacheTTL     = time.Second
	readCacheEntries = 4096
)

// publicRead is the path of a petition's public answer.
var publicRead = regexp.MustCompile(`^/v1/(communes|provinces|regions)/[^/]+/petitions/[^/:]+$`)

func newReadCache(position func() uint64, now func() time.Time) *readCache {
	if position == nil {
		return nil
	}
	return &readCache{position: position, now: now, m: map[string]*cachedRead{}}
}

func (c *readCache) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			w.Header().Set("Cache-Control", "private, no-store")
			next.ServeHTTP(w, r)
			return
		}
		if c == nil || r.Method != http.MethodGet || r.URL.RawQuery != "" || !publicRead.MatchString(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		key := r.URL.Path + "\x00" + r.Header.Get("Accept") + "\x00" + r.Header.Get("Accept-Language")
		e := c.get(key)
		if e == nil {
			var rec *recorder
			v, _, _ := c.answers.Do(key, func() (any, error) {
				if e := c.get(key); e != nil {
					return e, nil
				}
				pos, at, taken := c.position(), c.now(), time.Now()
				rec = &recorder{header: http.Header{}, code: http.StatusOK}
				next.ServeHTTP(rec, r)
				if rec.code != http.StatusOK {
					return nil, nil
				}
				sum := sha256.Sum256(append([]byte(r.Header.Get("Accept-Language")+"\x00"), rec.body.Bytes()...))
				e := &cachedRead{header: rec.header, body: rec.body.Bytes(), etag: `W/"` + hex.EncodeToString(sum[:12]) + `"`, position: pos, at: at, taken: taken}
				c.mu.Lock()
				if len(c.m) >= readCacheEntries {
					clear(c.m)
				}
				c.m[key] = e
				c.mu.Unlock()
				return e, nil
			})
			e, _ = v.(*cachedRead)
			if e == nil {
				if rec != nil {
					rec.replay(w) // this request's own failure
				} else {
					next.ServeHTTP(w, r) // another's failure: answer afresh
				}
				return
			}
		}
		h := w.Header()
		for k, vs := range e.header {
			h[k] = vs
		}
		h.Set("ETag", e.etag)
		h.Set("Cache-Control", "public, max-age=1")
		h.Add("Vary", "Authorization, Accept-Language")
		if inm := r.Header.Get("If-None-Match"); inm != "" && matchesETag(inm, e.etag) {
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if gz := e.gzipped(); gz != nil && httpx.AcceptsGzip(r) {
			// Compressed once (compress leaves a body that says its
			// encoding as it is).
			h.Set("Content-Encoding", "gzip")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(gz)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(e.body)
	})
}

// get returns the answer cached under key if it is still current.
func (c *readCache) get(key string) *cachedRead {
	c.mu.Lock()
	e := c.m[key]
	c.mu.Unlock()
	if e == nil || c.now().Sub(e.at) >= readCacheTTL || (e.position != c.position() && time.Since(e.taken) >= readCacheTTL) {
		return nil
	}
	return e
}

// matchesETag reports whether an If-None-Match list names tag (weak
// comparison).
func matchesETag(list, tag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
			return true
		}
	}
	return false
}

// recorder keeps a handler's answer to send or cache.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
}

func (r *recorder) replay(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range r.header {
		h[k] = vs
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}
