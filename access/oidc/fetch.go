package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// maxDocumentSize bounds a discovery document or key set.
const maxDocumentSize = 1 << 20

// discoveryPath is where a provider publishes its configuration (OpenID
// Connect Discovery 1.0 §4).
const discoveryPath = "/.well-known/openid-configuration"

// discover returns the key set URL the provider of issuer publishes.
func discover(ctx context.Context, client *http.Client, issuer string) (string, error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, client, strings.TrimSuffix(issuer, "/")+discoveryPath, &doc); err != nil {
		return "", fmt.Errorf("oidc: discovery: %w", err)
	}
	// Discovery §4.3: the document must be the issuer's own, or a document
	// served elsewhere could point to another key set.
	if doc.Issuer != issuer {
		return "", fmt.Errorf("oidc: discovery: the document is for issuer %q, not %q", doc.Issuer, issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("oidc: discovery: the document of %s has no jwks_uri", issuer)
	}
	return doc.JWKSURI, nil
}

// fetchKeySet fetches and parses the key set at u.
func fetchKeySet(ctx context.Context, client *http.Client, u string) (keySet, error) {
	var set jwks
	if err := getJSON(ctx, client, u, &set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	ks, err := parseKeySet(set)
	if err != nil {
		return nil, fmt.Errorf("key set %s: %w", u, err)
	}
	return ks, nil
}

// getJSON decodes the JSON document at u into v.
func getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentSize+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxDocumentSize {
		return fmt.Errorf("GET %s: document larger than %d bytes", u, maxDocumentSize)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// checkURL accepts https URLs, and http ones on a loopback address (a
// provider on the same machine, or a test's).
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("%q: want an https URL (keys fetched in clear could be replaced on the way)", s)
}
