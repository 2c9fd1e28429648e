package notifications

import (
	"embed"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
)

// Templates in ar/fr/en: each kind has a subject and a body with {name}
// placeholders filled from the message's params; "word.*" translate the
// decision and outcome words.
//
//go:embed templates/*.json
var templateFiles embed.FS

type template struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

type catalogue struct {
	kinds map[string]template
	words map[string]string
}

// Languages the templates are written in; the first is the default.
var Languages = []string{"ar", "fr", "en"}

var catalogues = loadCatalogues()

func loadCatalogues() map[string]catalogue {
	out := map[string]catalogue{}
	for _, lang := range Languages {
		b, err := templateFiles.ReadFile("templates/" + lang + ".json")
		if err != nil {
			panic(err) // embedded: a build error
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			panic(fmt.Sprintf("notifications: templates/%s.json: %v", lang, err))
		}
		c := catalogue{kinds: map[string]template{}, words: map[string]string{}}
		for k, v := range raw {
			var t template
			if json.Unmarshal(v, &t) == nil && t.Subject != "" {
				c.kinds[k] = t
				continue
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				panic(fmt.Sprintf("notifications: templates/%s.json %s: %v", lang, k, err))
			}
			c.words[k] = s
		}
		out[lang] = c
	}
	return out
}

// Rendered is a message in its recipient's language: a subject, a plain
// text part, and an HTML part (dir="rtl" for Arabic, every value from the
// log isolated with <bdi> so a French title does not scramble an Arabic
// sentence).
type Rendered struct {
	Language, Subject, Text, HTML string
}

// MessageLinks are the per-recipient links a message carries.
type MessageLinks struct {
	// Unsubscribe is the one-click unsubscribe URL (RFC 8058), if any.
	Unsubscribe string
	// Confirm is the double opt-in confirmation URL of a follow.
	Confirm string
}

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// Render writes m in lang (the default language if lang has no
// templates). It fails for a kind without a template.
func Render(m Message, lang string, links MessageLinks) (Rendered, error) {
	c, ok := catalogues[lang]
	if !ok {
		lang = Languages[0]
		c = catalogues[lang]
	}
	t, ok := c.kinds[m.Kind]
	if !ok {
		return Rendered{}, fmt.Errorf("notifications: no template %q", m.Kind)
	}
	params := map[string]string{}
	for k, v := range m.Params {
		if k == "decision" || k == "outcome" {
			if w, ok := c.words["word."+v]; ok {
				v = w
			}
		}
		params[k] = v
	}
	params["unsubscribe"] = links.Unsubscribe
	params["confirm"] = links.Confirm
	fill := func(s string, esc func(string) string) string {
		return placeholder.ReplaceAllStringFunc(s, func(p string) string {
			v := params[p[1:len(p)-1]]
			if esc != nil {
				return esc(v)
			}
			return v
		})
	}
	r := Rendered{Language: lang, Subject: fill(t.Subject, nil)}
	footer := c.words["footer.auto"]
	if links.Unsubscribe != "" {
		footer = fill(c.words["footer.unsubscribe"], nil) + "\n" + footer
	}
	r.Text = fill(t.Body, nil) + "\n\n-- \n" + footer + "\n"

	dir := "ltr"
	if lang == "ar" {
		dir = "rtl"
	}
	bdi := func(v string) string {
		if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
			e := html.EscapeString(v)
			return `<a dir="ltr" href="` + e + `">` + e + `</a>`
		}
		return "<bdi>" + strings.ReplaceAll(html.EscapeString(v), "\n", "<br>") + "</bdi>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=%q dir=%q>\n<head><meta charset=\"utf-8\"><title>%s</title></head>\n<body dir=%q style=\"text-align:start\">\n",
		lang, dir, html.EscapeString(r.Subject), dir)
	for _, para := range strings.Split(t.Body, "\n") {
		b.WriteString("<p>" + fillHTML(para, params, bdi) + "</p>\n")
	}
	if links.Unsubscribe != "" {
		b.WriteString("<hr><p><small>" + fillHTML(c.words["footer.unsubscribe"], params, bdi) + "</small></p>\n")
	}
	b.WriteString("<p><small>" + html.EscapeString(c.words["footer.auto"]) + "</small></p>\n</body>\n</html>\n")
	r.HTML = b.String()
	return r, nil
}

// fillHTML escapes the template's own text and isolates each value.
func fillHTML(s string, params map[string]string, value func(string) string) string {
	var b strings.Builder
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(html.EscapeString(s[last:loc[0]]))
		b.WriteString(value(params[s[loc[2]:loc[3]]]))
		last = loc[1]
	}
	b.WriteString(html.EscapeString(s[last:]))
	return b.String()
}
