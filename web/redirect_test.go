package web

import (
	"net/url"
	"strings"
	"testing"
)

// browserHosts are the hosts a browser would go to when redirected to loc
// from https://tasharuk.example/signin, following the WHATWG URL parser
// where it differs from Go's: leading and trailing C0 controls and spaces
// are trimmed, tabs and newlines are removed anywhere, and a backslash is
// read as "/" in a special (http, https) URL. It also tries loc decoded
// once more, as a proxy in front of the site might.
func browserHosts(t *testing.T, loc string) []string {
	t.Helper()
	base, _ := url.Parse("https://tasharuk.example/signin")
	var hosts []string
	variants := []string{loc}
	if d, err := url.PathUnescape(loc); err == nil {
		variants = append(variants, d)
	}
	for _, v := range variants {
		v = strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
		v = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(v)
		u, err := url.Parse(v)
		if err != nil {
			// Go refuses what a browser might still follow: count it as
			// off-site, so only plainly local values pass.
			hosts = append(hosts, "unparseable:"+v)
			continue
		}
		hosts = append(hosts, base.ResolveReference(u).Host)
	}
	return hosts
}

func TestSafeNextStaysOnSite(t *testing.T) {
	offSite := []string{
		"/\t/evil.example/phish", // next=/%09/evil.example/phish, decoded by the form
		"/%09/evil.example/phish",
		"/\n/evil.example",
		"/\r\n/evil.example",
		"/%0a/evil.example",
		"/%0d%0a/evil.example",
		"/\\evil.example",
		"/%5cevil.example",
		"/%5C%5Cevil.example",
		"\\\\evil.example",
		"//evil.example",
		"///evil.example",
		"/%2F/evil.example",
		"/%2f%2fevil.example",
		"%2F%2Fevil.example",
		"\t//evil.example",
		" //evil.example",
		"/ /evil.example",
		"/\x00/evil.example",
		"/\x7f/evil.example",
		"/\u200b/evil.example",
		"/\u00a0/evil.example",
		"/\xff/evil.example",
		"/%ff/evil.example",
		"/%zz",
		"http://evil.example/",
		"https:evil.example",
		"https://tasharuk.example@evil.example/",
		"javascript:alert(1)",
		"JavaScript:alert(1)",
		"data:text/html,<script>alert(1)</script>",
		"evil.example",
		"",
		"./desk",
		"?next=//evil.example",
		"#/evil",
	}
	for _, s := range offSite {
		if got := safeNext(s); got != "" {
			t.Errorf("safeNext(%q) = %q, want \"\" (the home page)", s, got)
		}
	}
	local := []string{
		"/",
		"/desk",
		"/my",
		"/communes/50910113/petitions/p-1",
		"/communes/50910113/petitions?state=open",
		"/communes/50910113/petitions?state=open&page=2#list",
		"/regions/beni-mellal-khenifra",
		"/%D8%B9%D8%B1%D9%8A%D8%B6%D8%A9", // Arabic, percent-encoded
		"/a/b//c",                         // "//" past the start is a path
	}
	for _, s := range local {
		if got := safeNext(s); got != s {
			t.Errorf("safeNext(%q) = %q, want it kept", s, got)
		}
	}
	// Whatever is asked, the redirect stays on the site as a browser
	// reads it.
	for _, s := range append(offSite, local...) {
		to := safeNext(s)
		if to == "" {
			to = "/my"
		}
		for _, h := range browserHosts(t, to) {
			if h != "tasharuk.example" {
				t.Errorf("next=%q redirects to %q, which a browser resolves to host %q", s, to, h)
			}
		}
	}
}
