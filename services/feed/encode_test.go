package feed

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// encode writes exactly what json.Marshal writes for a Message, for
// ordinary events and for every kind of string, time and payload that
// needs json.Marshal's care: quotes, backslashes, control characters,
// HTML-sensitive characters, U+2028, invalid UTF-8, non-ASCII text, zone
// offsets, zero and out-of-range times, nil and spaced payloads.
func TestEncodeIsJSONMarshal(t *testing.T) {
	at := time.Date(2026, 12, 1, 18, 1, 28, 123456789, time.UTC)
	casa := time.FixedZone("+01", 3600)
	strs := []string{"", "019ad3c5-9c59-7b1e-a3b1-2f1c8e3e4d5f", "tasharuk.petitions.v1.SignatureAdded", "petition.50910101.019ad3c5",
		`say "hi"`, `back\slash`, "tab\tnew\nline\r", "\x00\x01\x1f\x7f", "<script>&amp;</script>", "\u2028\u2029", "\xff\xfe bad",
		"Béni Mellal", "بني ملال", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "emoji 🙂"}
	times := []time.Time{at, {}, at.In(casa), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 100, casa)}
	payloads := []json.RawMessage{nil, json.RawMessage("null"), json.RawMessage(`{"a": 1, "b" : [ 1, 2 ], "c":"x<y&z>"}`),
		json.RawMessage(`{"name":"Béni Mellal","s":"\u2028 raw` + "\u2028" + `"}`), json.RawMessage(` { "petition" :  "communes/50910101/petitions/x" } `)}
	var n int
	check := func(m Message) {
		t.Helper()
		n++
		want, werr := json.Marshal(m)
		got, gerr := m.encode()
		if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("message %+v:\nencode       %s (%v)\njson.Marshal %s (%v)", m, got, gerr, want, werr)
		}
	}
	for _, s := range strs {
		for i, tm := range times {
			p := payloads[i%len(payloads)]
			check(Message{EventID: s, Type: s, SchemaVersion: 3, Stream: s, Position: 42, Council: s, OccurredAt: tm, RecordedAt: at, ActorRole: s, Actor: s, Payload: p})
			check(Message{EventID: "e", Type: "t", Stream: s, Position: 1<<64 - 1, OccurredAt: at, RecordedAt: tm, ActorRole: "citizen", Payload: p})
		}
	}
	for _, p := range payloads {
		check(Message{EventID: "e", Type: "t", OccurredAt: at, RecordedAt: at, Payload: p})
	}
	// What json.Marshal refuses, encode refuses.
	for _, m := range []Message{
		{OccurredAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), RecordedAt: at},
		{OccurredAt: at, RecordedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{OccurredAt: at, RecordedAt: at, Payload: json.RawMessage(`{"a":`)},
	} {
		if _, err := m.encode(); err == nil {
			t.Errorf("encode(%+v) succeeded; json.Marshal refuses it", m)
		}
		check(m)
	}
	if n < 150 {
		t.Fatalf("checked %d messages", n)
	}
}
