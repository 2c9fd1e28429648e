package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// RSA modulus sizes accepted: RFC 7518 §3.3 asks for at least 2048 bits;
// the upper bound keeps a verification cheap.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// jwk is one JSON Web Key (RFC 7517), the members we read.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	// RSA
	N string `json:"n"`
	E string `json:"e"`
	// EC
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// jwks is a JSON Web Key Set.
type jwks struct {
	Keys []jwk `json:"keys"`
}

// publicKey is a usable signature key of the set.
type publicKey struct {
	// key is an *rsa.PublicKey or an *ecdsa.PublicKey.
	key any
	// alg is the key's "alg", if the set names one.
	alg string
}

// fits reports whether the key can verify a signature made with alg.
func (k publicKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS")
	case *ecdsa.PublicKey:
		return (alg == "ES256" && key.Curve == elliptic.P256()) || (alg == "ES384" && key.Curve == elliptic.P384())
	}
	return false
}

// keySet holds the usable keys by key id; one id may carry several keys
// (an RSA and an EC key, say), told apart by the token's algorithm.
type keySet map[string][]publicKey

// parseKeySet returns the signature keys of set that this package can use.
// Encryption keys, keys without an id and key types other than RSA and EC
// (P-256, P-384) are skipped, as are malformed keys, so that one odd key
// does not hide the others; a set with no usable key at all is an error.
func parseKeySet(set jwks) (keySet, error) {
	ks := keySet{}
	var skipped []string
	for _, k := range set.Keys {
		if k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		key, err := parseKey(k)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%q: %v", k.Kid, err))
			continue
		}
		if key != nil {
			ks[k.Kid] = append(ks[k.Kid], publicKey{key: key, alg: k.Alg})
		}
	}
	if len(ks) == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("the key set holds no usable signature key (%s)", strings.Join(skipped, "; "))
		}
		return nil, errors.New("the key set holds no usable signature key")
	}
	return ks, nil
}

// parseKey returns the public key of k, nil for a key type not used here.
func parseKey(k jwk) (any, error) {
	switch k.Kty {
	case "RSA":
		return parseRSA(k)
	case "EC":
		return parseEC(k)
	}
	return nil, nil
}

func parseRSA(k jwk) (*rsa.PublicKey, error) {
	n, err := decodeInt(k.N)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	e, err := decodeInt(k.E)
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	if n.BitLen() < minRSABits || n.BitLen() > maxRSABits {
		return nil, fmt.Errorf("RSA key of %d bits, want %d to %d", n.BitLen(), minRSABits, maxRSABits)
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("RSA exponent out of range")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

func parseEC(k jwk) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch k.Crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	default:
		return nil, fmt.Errorf("curve %q not accepted (P-256 or P-384)", k.Crv)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, err := decode(k.X)
	if err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	y, err := decode(k.Y)
	if err != nil {
		return nil, fmt.Errorf("y: %w", err)
	}
	// RFC 7518 §6.2.1.2: the coordinates are the full size of the curve.
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("coordinates of %d and %d bytes, want %d", len(x), len(y), size)
	}
	point := append(append([]byte{4}, x...), y...)
	key, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, err
	}
	return key, nil
}

// decode reads base64url without padding, tolerating padding.
func decode(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// decodeInt reads a base64url big-endian unsigned integer.
func decodeInt(s string) (*big.Int, error) {
	b, err := decode(s)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, errors.New("empty")
	}
	return new(big.Int).SetBytes(b), nil
}
