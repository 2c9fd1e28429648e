// Package witness is the witness of tasharuk's verifiable log, and the
// log's side of witnessing.
//
// A witness is an independent party (a regional court of accounts, the
// province's services, a university, civil-society observers) that
// remembers the latest checkpoint it cosigned for each log it follows,
// cosigns a new checkpoint only if a consistency proof shows the old tree
// to be a prefix of the new one, and refuses — keeping both checkpoints as
// evidence and raising an alarm — any checkpoint that rewrites what it
// already cosigned. An operator holding the log's signing key can re-sign a
// rewritten history, but cannot make the witnesses cosign it: an auditor who
// trusts checkpoints only with enough cosignatures (audit verify --witness
// --quorum) catches the rewrite with nothing saved beforehand.
//
// The protocol is C2SP tlog-witness (https://c2sp.org/tlog-witness, as of
// C2SP commit 5ba5ee8 of 2026-07-22, which differs from v1.0.0 in answering
// 422 rather than 409 when the sizes match but the roots do not, and adds
// the monitoring API; the optional sign-subtree call is not implemented,
// and the cosignatures are Ed25519 cosignature/v1 although the spec now
// recommends ML-DSA-44, which torchwood v0.6.1 does not have):
// POST <prefix>/add-checkpoint with an "old <size>"
// line, the consistency proof lines, a blank line and the signed
// checkpoint (C2SP tlog-checkpoint); the answer is the witness's
// cosignature line, an Ed25519 cosignature/v1 of C2SP tlog-cosignature
// v1.0.1 (see package audit, cosignature.go). Status codes: 400 for a
// malformed request or an old size above the checkpoint's, 403 when no
// signature by the log's key verifies, 404 for a log the witness does not
// follow, 409 (body: the witness's size, Content-Type text/x.tlog.size)
// when the old size is not the size it last cosigned, 422 when the proof
// does not verify. GET <prefix>/<hex SHA-256 of the origin>/checkpoint
// serves the latest cosigned checkpoint (the spec's monitoring API), which
// is what two witnesses' states are compared with to find a fork.
//
// [Witness] is the witness (tasharuk witness runs one), [Client] talks to
// one, and [Collector] is the log's side: it submits each new checkpoint to
// the configured witnesses, in the background, and records their
// cosignatures in the log.
package witness

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tasharuk/tasharuk/audit"
)

// Errors of AddCheckpoint, each with the HTTP status tlog-witness gives it
// (StatusOf).
var (
	// ErrMalformed: the request is not an add-checkpoint body, or its old
	// size exceeds the checkpoint's (400).
	ErrMalformed = errors.New("witness: malformed add-checkpoint request")
	// ErrNotSigned: no signature by the log's key verifies, or one by its
	// key does not (403).
	ErrNotSigned = errors.New("witness: checkpoint not signed by the log's key")
	// ErrUnknownLog: the witness does not follow the checkpoint's origin
	// (404).
	ErrUnknownLog = errors.New("witness: unknown log")
	// ErrInconsistent: the checkpoint is not consistent with the one the
	// witness cosigned last (422): a bad proof, a different root at the
	// same size, or a non-empty proof from size 0.
	ErrInconsistent = errors.New("witness: checkpoint is not consistent with the one cosigned before")
)

// ConflictError: the old size is not the size the witness last cosigned
// (409); Size is that size.
type ConflictError struct{ Size int64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness: old size does not match: the witness last cosigned a tree of %d", e.Size)
}

// StatusOf returns the HTTP status tlog-witness gives an AddCheckpoint
// error.
func StatusOf(err error) int {
	var conflict *ConflictError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &conflict):
		return http.StatusConflict
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotSigned):
		return http.StatusForbidden
	case errors.Is(err, ErrUnknownLog):
		return http.StatusNotFound
	case errors.Is(err, ErrInconsistent):
		return http.StatusUnprocessableEntity
	default:
		return http.StatusInternalServerError
	}
}

// Log is a log the witness follows: its origin line and its checkpoint
// verifier key (a signed-note Ed25519 key, as `tasharuk serve` prints it).
type Log struct {
	Origin      string
	VerifierKey string
	verifier    note.Verifier
}

// ParseLog reads "ORIGIN=KEY" or a bare KEY (the origin is then the
// key's name, as tasharuk names its checkpoint key).
func ParseLog(s string) (Log, error) {
	s = strings.TrimSpace(s)
	origin, key, found := strings.Cut(s, "=")
	if !found {
		key = s
		origin, _, _ = strings.Cut(s, "+")
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return Log{}, fmt.Errorf("witness: log key %q: %w", key, err)
	}
	return Log{Origin: origin, VerifierKey: key, verifier: v}, nil
}

// OriginHash is how the monitoring API names a log: the lowercase hex
// SHA-256 of its origin.
func OriginHash(origin string) string {
	h := sha256.Sum256([]byte(origin))
	return hex.EncodeToString(h[:])
}

// Witness cosigns checkpoints of the logs it follows. Its state (the latest
// checkpoint it cosigned for each log) lives in a state folder
// (OpenState); checking a checkpoint against it and writing the new one
// happen under one lock, so two concurrent requests can never roll it back
// (tlog-witness, "add-checkpoint").
type Witness struct {
	// Signer makes the cosignatures (audit.NewWitnessSigner).
	Signer note.Signer
	// State is the witness's state folder.
	State *State
	// Logger receives the alarms (ERROR, "witness: ALARM") and what was
	// cosigned (default slog.Default()).
	Logger *slog.Logger

	mu   sync.Mutex
	logs map[string]Log
}

// New returns a witness of logs.
func New(signer note.Signer, state *State, logs []Log, logger *slog.Logger) (*Witness, error) {
	if logger == nil {
		logger = slog.Default()
	}
	w := &Witness{Signer: signer, State: state, Logger: logger, logs: make(map[string]Log)}
	for _, l := range logs {
		if l.verifier == nil {
			p, err := ParseLog(l.Origin + "=" + l.VerifierKey)
			if err != nil {
				return nil, err
			}
			l = p
		}
		if _, dup := w.logs[l.Origin]; dup {
			return nil, fmt.Errorf("witness: log %q given twice", l.Origin)
		}
		w.logs[l.Origin] = l
	}
	return w, nil
}

// Request is a parsed add-checkpoint body.
type Request struct {
	OldSize    int64
	Proof      tlog.TreeProof
	Checkpoint []byte // the signed note
}

// maxBody bounds an add-checkpoint body: a checkpoint, its signatures and
// at most 63 proof lines fit in far less.
const maxBody = 64 << 10

// ParseRequest parses an add-checkpoint body (tlog-witness).
func ParseRequest(body []byte) (Request, error) {
	var r Request
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return r, fmt.Errorf("%w: no old size line", ErrMalformed)
	}
	n, found := strings.CutPrefix(string(line), "old ")
	size, err := strconv.ParseInt(n, 10, 64)
	if !found || err != nil || size < 0 || strconv.FormatInt(size, 10) != n {
		return r, fmt.Errorf("%w: bad old size line %q", ErrMalformed, line)
	}
	r.OldSize = size
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return r, fmt.Errorf("%w: no blank line before the checkpoint", ErrMalformed)
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == 63 {
			return r, fmt.Errorf("%w: more than 63 proof lines", ErrMalformed)
		}
		h, err := base64.StdEncoding.DecodeString(string(line))
		if err != nil || len(h) != tlog.HashSize {
			return r, fmt.Errorf("%w: bad proof line %q", ErrMalformed, line)
		}
		r.Proof = append(r.Proof, tlog.Hash(h))
	}
	r.Checkpoint = rest
	return r, nil
}

// FormatRequest writes an add-checkpoint body.
func FormatRequest(oldSize int64, proof tlog.TreeProof, signedNote string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.WriteString(signedNote)
	return b.Bytes()
}

// emptyRoot is the root of the empty tree, SHA-256 of nothing (RFC 6962,
// 2.1).
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// AddCheckpoint checks r against the latest checkpoint cosigned for its
// log and, if it is consistent, records it and returns the witness's
// cosignature line. A checkpoint signed by the log but inconsistent with
// what was cosigned is refused with ErrInconsistent, kept with the
// cosigned one in an evidence file, and logged as an alarm.
func (w *Witness) AddCheckpoint(r Request) ([]byte, error) {
	// The origin first, to tell 404 from 403.
	text, _, _ := bytes.Cut(r.Checkpoint, []byte("\n\n"))
	origin, _, _ := strings.Cut(string(text), "\n")
	l, ok := w.logs[origin]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownLog, origin)
	}
	n, err := note.Open(r.Checkpoint, note.VerifierList(l.verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSigned, err)
	}
	_, size, root, err := audit.ParseCheckpointText(n.Text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.OldSize > size {
		return nil, fmt.Errorf("%w: old size %d is above the checkpoint's %d", ErrMalformed, r.OldSize, size)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	cur, err := w.State.Latest(origin)
	if err != nil {
		return nil, err
	}
	var curSize int64
	if cur != nil {
		curSize = cur.TreeSize
	}
	if r.OldSize != curSize {
		return nil, &ConflictError{Size: curSize}
	}
	refuse := func(format string, args ...any) ([]byte, error) {
		reason := fmt.Sprintf(format, args...)
		path, err := w.State.KeepEvidence(origin, reason, cur, r)
		if err != nil {
			w.Logger.Error("witness: could not keep the evidence", "origin", origin, "err", err)
		}
		w.Logger.Error("witness: ALARM: the log signed a checkpoint inconsistent with the one this witness cosigned",
			"origin", origin, "cosigned_size", curSize, "refused_size", size, "reason", reason, "evidence", path)
		return nil, fmt.Errorf("%w: %s", ErrInconsistent, reason)
	}
	switch {
	case size == 0 && root != emptyRoot:
		return nil, fmt.Errorf("%w: a tree of size 0 must have the empty tree's root", ErrInconsistent)
	case curSize == 0 && len(r.Proof) > 0:
		return nil, fmt.Errorf("%w: a proof from size 0 must be empty", ErrInconsistent)
	case curSize > 0 && size == curSize:
		if root != cur.root {
			return refuse("same size %d, root %s instead of the cosigned %s", size, root, cur.root)
		}
		if len(r.Proof) > 0 {
			return nil, fmt.Errorf("%w: a proof between equal sizes must be empty", ErrInconsistent)
		}
	case curSize > 0:
		if err := tlog.CheckTree(r.Proof, size, root, curSize, cur.root); err != nil {
			return refuse("no valid consistency proof from the cosigned tree of %d (root %s) to %d (root %s): %v", curSize, cur.root, size, root, err)
		}
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text}, w.Signer)
	if err != nil {
		return nil, fmt.Errorf("witness: cosign: %w", err)
	}
	_, line, _ := bytes.Cut(cosigned, []byte("\n\n"))
	if err := w.State.Record(origin, size, root, string(r.Checkpoint), string(line)); err != nil {
		return nil, err
	}
	w.Logger.Info("witness: cosigned", "origin", origin, "tree_size", size, "root", root.String(), "from_size", curSize)
	return line, nil
}

// Handler serves the witness's HTTP interface under prefix ("" for the
// root): POST <prefix>/add-checkpoint and GET
// <prefix>/<origin hash>/checkpoint.
func (w *Witness) Handler(prefix string) http.Handler {
	mux := http.NewServeMux()
	prefix = strings.TrimRight(prefix, "/")
	mux.HandleFunc("POST "+prefix+"/add-checkpoint", w.serveAdd)
	mux.HandleFunc("GET "+prefix+"/{origin}/checkpoint", w.serveCheckpoint)
	return mux
}

func (w *Witness) serveAdd(rw http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil {
		http.Error(rw, "reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxBody {
		http.Error(rw, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	r, err := ParseRequest(body)
	var line []byte
	if err == nil {
		line, err = w.AddCheckpoint(r)
	}
	var conflict *ConflictError
	switch {
	case err == nil:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = rw.Write(line)
	case errors.As(err, &conflict):
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", conflict.Size)
	default:
		status := StatusOf(err)
		if status == http.StatusInternalServerError {
			w.Logger.Error("witness: add-checkpoint", "err", err)
		}
		http.Error(rw, err.Error(), status)
	}
}

func (w *Witness) serveCheckpoint(rw http.ResponseWriter, req *http.Request) {
	want := req.PathValue("origin")
	for origin := range w.logs {
		if OriginHash(origin) != want {
			continue
		}
		cur, err := w.State.Latest(origin)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		if cur == nil {
			break
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(rw, cur.CosignedNote())
		return
	}
	http.Error(rw, "no checkpoint cosigned for that log", http.StatusNotFound)
}
