package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// TestCompressedPage: a page compressed once, with a visitor's token put
// in as stored blocks, is a valid gzip stream of the page with the token in
// every place of the placeholder (the standard library's reader checks the
// CRC and the length).
func TestCompressedPage(t *testing.T) {
	body := []byte(strings.Repeat("<p>تعريف petition ", 300) + `<input name="csrf" value="` + csrfPlaceholder + `">` +
		strings.Repeat("<li>ligne</li>", 500) + `<input value="` + csrfPlaceholder + `">fin`)
	for _, b := range [][]byte{body, []byte("no token at all"), []byte(csrfPlaceholder)} {
		g, err := compressPage(b)
		if err != nil {
			t.Fatal(err)
		}
		token := "Zm9ybS10b2tlbi1vZi10aGUtdmlzaXRvcg_-0123456789"
		var out bytes.Buffer
		if err := g.write(&out, token); err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(&out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("gzip stream: %v", err)
		}
		if want := bytes.ReplaceAll(b, []byte(csrfPlaceholder), []byte(token)); !bytes.Equal(got, want) {
			t.Fatalf("decompressed page differs: got %d bytes, want %d", len(got), len(want))
		}
	}
}
