package web

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// No catalogue names a key twice: encoding/json keeps the last of two
// silently, and a line-based merge of two branches that added the same
// key leaves both.
func TestCataloguesNameEachKeyOnce(t *testing.T) {
	for _, l := range languages {
		data, err := os.ReadFile("i18n/" + l.Code + ".json")
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("%s: not a JSON object (%v %v)", l.Code, tok, err)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("%s: %v", l.Code, err)
			}
			k := tok.(string)
			if seen[k] {
				t.Errorf("%s: key %s appears twice", l.Code, k)
			}
			seen[k] = true
			var v string
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%s: %s: %v", l.Code, k, err)
			}
		}
		if len(seen) < 500 {
			t.Fatalf("%s: only %d keys", l.Code, len(seen))
		}
	}
}
