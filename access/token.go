package access

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audience is the "aud" claim of every token: the tasharuk API.
const Audience = "tasharuk-api"

// DefaultIssuer is the "iss" claim when NewIssuer is given none.
const DefaultIssuer = "tasharuk"

// ErrInvalidToken is returned, wrapped with the reason, for every token
// Verify refuses.
var ErrInvalidToken = errors.New("invalid token")

// Issuer issues and verifies the API's bearer tokens: HS256 JWTs signed
// with one installation key.
type Issuer struct {
	key    []byte
	issuer string

	// verified remembers tokens already verified, so a client that signs
	// many times with one token pays the JWT decoding and HMAC once.
	mu       sync.Mutex
	verified map[string]verifiedToken
}

// verifiedToken is a verified token's principal and when it is in force.
type verifiedToken struct {
	p           Principal
	from, until time.Time
}

// maxVerified bounds the remembered tokens; when full, it starts over.
const maxVerified = 4096

// NewIssuer returns an Issuer that signs with key (at least KeySize bytes,
// see LoadOrCreateKey) in the name of issuer ("tasharuk" if empty).
func NewIssuer(key []byte, issuer string) *Issuer {
	if issuer == "" {
		issuer = DefaultIssuer
	}
	return &Issuer{key: append([]byte(nil), key...), issuer: issuer}
}

// claims is a token's payload.
type claims struct {
	Role    string `json:"role"`
	Council string `json:"council,omitempty"`
	Via     string `json:"via,omitempty"`
	// NID is the national ID number the person's identity provider
	// asserted at web sign-in (Principal.NationalID), sealed: AES-GCM
	// under a key derived from the signing key, bound to the subject. A
	// token is readable by whoever holds it (the pages decode its claims),
	// so the number is never in it in clear.
	NID string `json:"nid,omitempty"`
	jwt.RegisteredClaims
}

// nidKey is the key the national ID claim is sealed with: derived from
// the signing key, for this use only.
func (i *Issuer) nidKey() cipher.AEAD {
	m := hmac.New(sha256.New, i.key)
	m.Write([]byte("tasharuk token national ID sealing key"))
	b, _ := aes.NewCipher(m.Sum(nil))
	g, _ := cipher.NewGCM(b)
	return g
}

func (i *Issuer) sealNID(subject, id string) string {
	g := i.nidKey()
	nonce := make([]byte, g.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(id), []byte(subject)))
}

func (i *Issuer) openNID(subject, sealed string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	g := i.nidKey()
	if err != nil || len(b) < g.NonceSize() {
		return "", errors.New("national ID claim is not sealed by this issuer")
	}
	id, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], []byte(subject))
	if err != nil {
		return "", errors.New("national ID claim is not sealed by this issuer")
	}
	return string(id), nil
}

// Issue returns a token for p, valid from now for ttl.
func (i *Issuer) Issue(p Principal, ttl time.Duration, now time.Time) (string, error) {
	if len(i.key) < KeySize {
		return "", fmt.Errorf("access: issue: signing key of %d bytes, want at least %d", len(i.key), KeySize)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("access: issue: ttl %v: want a positive duration", ttl)
	}
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("access: issue: %w", err)
	}
	now = now.Truncate(time.Second) // NumericDate has second precision
	c := claims{
		Role:    string(p.Role),
		Council: p.Council,
		Via:     p.Via,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   p.Subject,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        rand.Text(),
		},
	}
	if p.NationalID != "" {
		c.NID = i.sealNID(p.Subject, p.NationalID)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("access: issue: %w", err)
	}
	return s, nil
}

// Verify returns the principal of token as of now. It accepts only HS256
// tokens signed with the issuer's key, from this issuer, for Audience,
// with an expiry, in force at now, naming a known role and a subject.
// Every refusal wraps ErrInvalidToken (and the jwt error saying why).
func (i *Issuer) Verify(token string, now time.Time) (Principal, error) {
	if i == nil || len(i.key) < KeySize {
		return Principal{}, fmt.Errorf("%w: no usable signing key", ErrInvalidToken)
	}
	i.mu.Lock()
	v, ok := i.verified[token]
	i.mu.Unlock()
	if ok && !now.Before(v.from) && now.Before(v.until) {
		return v.p, nil
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(i.issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var c claims
	_, err := parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		// WithValidMethods already refuses other algorithms; checking the
		// type as well keeps a key from ever meeting a non-HMAC method.
		if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("signing method %v is invalid", t.Header["alg"])
		}
		return i.key, nil
	})
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	p := Principal{Subject: c.Subject, Role: Role(c.Role), Council: c.Council, Via: c.Via}
	if err := p.validate(); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.NID != "" {
		if p.NationalID, err = i.openNID(c.Subject, c.NID); err != nil {
			return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
		}
	}
	// In force from issue (and not-before) to expiry, as the parser checks.
	v = verifiedToken{p: p, until: c.ExpiresAt.Time}
	if c.IssuedAt != nil {
		v.from = c.IssuedAt.Time
	}
	if c.NotBefore != nil && c.NotBefore.After(v.from) {
		v.from = c.NotBefore.Time
	}
	i.mu.Lock()
	if i.verified == nil || len(i.verified) >= maxVerified {
		i.verified = make(map[string]verifiedToken)
	}
	i.verified[token] = v
	i.mu.Unlock()
	return p, nil
}
