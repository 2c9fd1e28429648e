package web

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tasharuk/tasharuk/internal/httpx"
)

// A petition going viral is read far more often than it changes (issue 17,
// acceptance 4: 20,000 reads/s beside 2,000 signatures/s), and rendering
// its page is most of what a read costs. pageCache keeps the rendered
// public page of a petition — what a visitor who is not signed in sees,
// asked without a query — and serves it while the read models stay at the
// log position it was rendered at, or, if they moved on, while it is under
// pageFresh old: a read that names no position may trail the log (the
// read models themselves trail it), by at most that much here, as the
// finder's listings may (finder_cache.go). Never past a second of the
// service's clock either (a deadline passes, the day changes). One render
// at a time per page: readers arriving meanwhile wait for it rather than
// render it again. A signed-in person, and a reader passing ?at=
// (read-your-writes after their own act, or a min_position), never get a
// cached page: theirs is rendered afresh.
//
// The one per-visitor part of a public page is its CSRF form token (bound
// to the visitor's cookie): the cached page holds a placeholder the token
// replaces on the way out, and the page is sent "private, no-cache" — a
// browser keeps it and revalidates it with If-None-Match, a shared cache
// never keeps it (it would hand one visitor's token, and Set-Cookie, to
// another).
type pageCache struct {
	position func() uint64
	now      func() time.Time

	mu      sync.Mutex
	m       map[pageKey]*cachedPage
	renders singleflight.Group
}

// pageFresh is how long a cached page is served after the read models
// moved past it (wall-clock time).
const pageFresh = time.Second

// pageKey is everything a public petition page depends on besides the
// read models and the clock.
type pageKey struct {
	name, lang, base, day string
	followed              bool
}

type cachedPage struct {
	body     []byte // with csrfPlaceholder for the token
	tag      string // hash of the language and the body
	position uint64
	at       time.Time // the service's clock
	taken    time.Time // the wall clock
	gz       *gzipped  // nil if it could not be compressed
}

// csrfPlaceholder stands for the visitor's form token in a cached page:
// letters only, so html/template writes it as it is.
const csrfPlaceholder = "tasharukCsrfPlaceholderXq7Zv"

const pageCacheEntries = 4096

func newPageCache(position func() uint64, now func() time.Time) *pageCache {
	if position == nil {
		return nil
	}
	return &pageCache{position: position, now: now, m: map[pageKey]*cachedPage{}}
}

// get returns the page cached under k if it is still current (see
// pageCache).
func (c *pageCache) get(k pageKey) *cachedPage {
	c.mu.Lock()
	e := c.m[k]
	c.mu.Unlock()
	if e == nil || c.now().Sub(e.at) >= time.Second || (e.position != c.position() && time.Since(e.taken) >= pageFresh) {
		return nil
	}
	return e
}

func (c *pageCache) put(k pageKey, e *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= pageCacheEntries {
		clear(c.m)
	}
	c.m[k] = e
}

// etag is the validator of a page: its content (with the language) and
// the visitor's token, so a browser holding a page with another token
// gets a fresh one.
func (e *cachedPage) etag(csrf string) string {
	h := sha256.Sum256([]byte(e.tag + "|" + csrf))
	return `W/"` + hex.EncodeToString(h[:12]) + `"`
}

// notModified reports whether the request's If-None-Match names tag.
func notModified(r *http.Request, tag string) bool {
	for _, t := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
			return true
		}
	}
	return false
}

// publicPetition serves a petition's public page from the cache, rendering
// it first if the cache has none that is current. It reports false, having
// written nothing, when the page is not one the cache keeps.
func (h *handler) publicPetition(q *rq, name string) bool {
	if h.cache == nil || q.user != nil || q.r.URL.RawQuery != "" {
		return false
	}
	k := pageKey{name: name, lang: q.L.Lang, base: absoluteURL(q.r, ""), day: today(h.now()),
		followed: slices.Contains(followed(q.r), name)}
	e := h.cache.get(k)
	if e == nil {
		v, err, _ := h.cache.renders.Do(fmt.Sprint(k), func() (any, error) {
			if e := h.cache.get(k); e != nil {
				return e, nil // rendered while this reader waited
			}
			// The position before the read: if the models move while the
			// page is rendered, the entry is older than its content and is
			// only dropped sooner.
			pos, at, taken := h.cache.position(), h.now(), time.Now()
			d, err := h.loadPetition(q, name, nil)
			if err != nil {
				return nil, err
			}
			p := h.petitionPageData(q, d, "", nil)
			p.CSRF = csrfPlaceholder
			var buf bytes.Buffer
			if err := h.pages["petition"].ExecuteTemplate(&buf, "layout", p); err != nil {
				return nil, err
			}
			sum := sha256.Sum256(append([]byte(q.L.Lang+"|"), buf.Bytes()...))
			e := &cachedPage{body: buf.Bytes(), tag: hex.EncodeToString(sum[:]), position: pos, at: at, taken: taken}
			e.gz, _ = compressPage(e.body)
			h.cache.put(k, e)
			return e, nil
		})
		if err != nil {
			// Rendered afresh, so the reader sees its own error page.
			return false
		}
		e = v.(*cachedPage)
	}
	tag := e.etag(q.csrf)
	hd := q.w.Header()
	hd.Set("Cache-Control", "private, no-cache")
	hd.Set("ETag", tag)
	hd.Add("Vary", "Cookie, Accept-Language")
	hd.Set("Content-Language", q.L.Lang)
	hd.Set("Server-Timing", fmt.Sprintf("app;dur=%.2f", float64(time.Since(q.start).Microseconds())/1000))
	if notModified(q.r, tag) {
		q.w.WriteHeader(http.StatusNotModified)
		return true
	}
	hd.Set("Content-Type", "text/html; charset=utf-8")
	if e.gz != nil && httpx.AcceptsGzip(q.r) {
		// Compressed once (server/compress.go leaves a body that says
		// its encoding as it is).
		hd.Set("Content-Encoding", "gzip")
		hd.Add("Vary", "Accept-Encoding")
		q.w.WriteHeader(http.StatusOK)
		_ = e.gz.write(q.w, q.csrf)
		return true
	}
	q.w.WriteHeader(http.StatusOK)
	_, _ = q.w.Write(bytes.ReplaceAll(e.body, []byte(csrfPlaceholder), []byte(q.csrf)))
	return true
}

// gzipped is a cached page compressed once: each stretch between two form
// tokens is its own run of deflate blocks, ended by a sync flush (so on a
// byte boundary), and each token goes between them as a stored block, so
// a visitor's page is compressed bytes and its token, not a compression.
type gzipped struct {
	parts [][]byte // deflate of the stretches; the last one ends the stream
	plain [][]byte // the stretches, for the checksum and the length
}

func compressPage(body []byte) (*gzipped, error) {
	g := &gzipped{plain: bytes.Split(body, []byte(csrfPlaceholder))}
	for i, p := range g.plain {
		var buf bytes.Buffer
		fw, err := flate.NewWriter(&buf, flate.BestSpeed)
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(p); err != nil {
			return nil, err
		}
		if i < len(g.plain)-1 {
			err = fw.Flush()
		} else {
			err = fw.Close()
		}
		if err != nil {
			return nil, err
		}
		g.parts = append(g.parts, buf.Bytes())
	}
	return g, nil
}

// write sends the page, with token in place of each placeholder, as one
// gzip member.
func (g *gzipped) write(w io.Writer, token string) error {
	if len(token) > 0xffff {
		return errors.New("web: form token too long")
	}
	out := make([]byte, 0, 10+8+len(g.parts)*len(token)*2)
	out = append(out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff) // gzip header: deflate, no name, no time, unknown OS
	crc, size := uint32(0), uint32(0)
	stored := make([]byte, 0, 5+len(token))
	stored = append(stored, 0, byte(len(token)), byte(len(token)>>8), ^byte(len(token)), ^byte(len(token)>>8))
	stored = append(stored, token...)
	var body bytes.Buffer
	body.Write(out)
	for i, p := range g.parts {
		body.Write(p)
		crc = crc32.Update(crc, crc32.IEEETable, g.plain[i])
		size += uint32(len(g.plain[i]))
		if i < len(g.parts)-1 {
			body.Write(stored)
			crc = crc32.Update(crc, crc32.IEEETable, []byte(token))
			size += uint32(len(token))
		}
	}
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], crc)
	binary.LittleEndian.PutUint32(tail[4:], size)
	body.Write(tail[:])
	_, err := w.Write(body.Bytes())
	return err
}
