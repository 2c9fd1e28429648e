package feed

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// The feed writes one message per event of the log, so its JSON is on the
// signing path's CPU budget (issue 17: encoding/json's reflection was most
// of the feed's cost per event). encode writes what json.Marshal writes
// for a Message, byte for byte (TestEncodeIsJSONMarshal), without
// reflection: a field it cannot write the same way cheaply (a string that
// needs escaping, a time json.Marshal would refuse) is handed to
// json.Marshal.

// encode is json.Marshal(m).
func (m *Message) encode() ([]byte, error) {
	b := make([]byte, 0, 256+len(m.Payload))
	b = append(b, `{"event_id":`...)
	b = appendString(b, m.EventID)
	b = append(b, `,"type":`...)
	b = appendString(b, m.Type)
	b = append(b, `,"schema_version":`...)
	b = strconv.AppendUint(b, uint64(m.SchemaVersion), 10)
	b = append(b, `,"stream":`...)
	b = appendString(b, m.Stream)
	b = append(b, `,"position":`...)
	b = strconv.AppendUint(b, m.Position, 10)
	if m.Council != "" {
		b = append(b, `,"council":`...)
		b = appendString(b, m.Council)
	}
	var err error
	b = append(b, `,"occurred_at":`...)
	if b, err = appendTime(b, m.OccurredAt); err != nil {
		return nil, err
	}
	b = append(b, `,"recorded_at":`...)
	if b, err = appendTime(b, m.RecordedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"actor_role":`...)
	b = appendString(b, m.ActorRole)
	if m.Actor != "" {
		b = append(b, `,"actor":`...)
		b = appendString(b, m.Actor)
	}
	b = append(b, `,"payload":`...)
	if b, err = appendRaw(b, m.Payload); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendString writes s as a JSON string: as is when it holds only
// printable ASCII that json.Marshal leaves alone, through json.Marshal
// otherwise (escapes, HTML-safe characters, invalid UTF-8).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTime writes t as json.Marshal does (RFC 3339 with nanoseconds),
// leaving the years it refuses to it.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		q, err := json.Marshal(t)
		return append(b, q...), err
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// appendRaw writes a json.RawMessage as json.Marshal does: compacted, with
// <, >, & and U+2028/U+2029 escaped; nil is null.
func appendRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return append(b, "null"...), nil
	}
	var c bytes.Buffer
	c.Grow(len(raw))
	if err := json.Compact(&c, raw); err != nil {
		q, err := json.Marshal(raw) // the same error json.Marshal gives
		return append(b, q...), err
	}
	if !needsHTMLEscape(c.Bytes()) {
		return append(b, c.Bytes()...), nil
	}
	var h bytes.Buffer
	json.HTMLEscape(&h, c.Bytes())
	return append(b, h.Bytes()...), nil
}

func needsHTMLEscape(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '<' || c == '>' || c == '&':
			return true
		case c >= utf8.RuneSelf:
			if r, _ := utf8.DecodeRune(b[i:]); r == '\u2028' || r == '\u2029' {
				return true
			}
		}
	}
	return false
}
