package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestTokenIssueVerify(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	err := runToken(context.Background(), []string{"issue", "--role", "staff", "--council", "50910101", "--data-dir", dir, "--create"}, &out, &errb)
	if err != nil {
		t.Fatalf("issue: %v (stderr %q)", err, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	if strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, " \n") {
		t.Fatalf("issue printed %q, want only a token", out.String())
	}

	for _, args := range [][]string{
		{"verify", tok, "--data-dir", dir},
		{"verify", "--data-dir", dir, tok},
	} {
		out.Reset()
		if err := runToken(context.Background(), args, &out, &errb); err != nil {
			t.Fatalf("%v: %v", args[:2], err)
		}
		want := "subject: staff-50910101\nrole:    staff\ncouncil: 50910101\n"
		if out.String() != want {
			t.Errorf("verify printed %q, want %q", out.String(), want)
		}
	}

	out.Reset()
	if err := runToken(context.Background(), []string{"issue", "--role", "admin", "--subject", "ops-1", "--ttl", "1h", "--data-dir", dir}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(out.String())
	out.Reset()
	if err := runToken(context.Background(), []string{"verify", admin, "--data-dir", dir}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if want := "subject: ops-1\nrole:    admin\ncouncil: (none)\n"; out.String() != want {
		t.Errorf("verify printed %q, want %q", out.String(), want)
	}
}

func TestTokenVerifyRefuses(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := runToken(context.Background(), []string{"issue", "--role", "citizen", "--data-dir", dir, "--create"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out.String())
	tampered := tok[:len(tok)-4] + "AAAA"
	if tampered == tok {
		tampered = tok[:len(tok)-4] + "BBBB"
	}
	for name, args := range map[string][]string{
		"tampered":         {"verify", tampered, "--data-dir", dir},
		"no key yet":       {"verify", tok, "--data-dir", t.TempDir()},
		"no token":         {"verify", "--data-dir", dir},
		"two tokens":       {"verify", tok, tok, "--data-dir", dir},
		"staff no council": {"issue", "--role", "staff", "--data-dir", dir},
		"advisory":         {"issue", "--role", "advisory", "--data-dir", dir},
		"no role":          {"issue", "--data-dir", dir},
		"unknown role":     {"issue", "--role", "mayor", "--data-dir", dir},
		"negative ttl":     {"issue", "--role", "admin", "--ttl", "-1h", "--data-dir", dir},
		"no subcommand":    {},
		"unknown":          {"revoke"},
	} {
		out.Reset()
		if err := runToken(context.Background(), args, &out, &errb); err == nil {
			t.Errorf("%s: runToken(%q) succeeded, printed %q", name, args, out.String())
		}
	}
}
