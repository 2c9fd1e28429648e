package server

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// enumHints is the gateway's marshaler, except that a request body naming
// an enum value the field does not have is refused, with the values it
// has. The gateway's JSON reading discards what it does not know, enum
// value names included: `"admissibility": "ADMISSIBLE"` became
// ADMISSIBILITY_UNSPECIFIED and the service answered about a missing
// decision; a clerk cannot guess ADMISSIBILITY_ADMISSIBLE from that.
// Unknown fields are still ignored (a newer client's extra fields do no
// harm). A body is read strictly first, which is all a well-formed body
// costs; only a body the strict reading refuses is read again leniently.
type enumHints struct {
	runtime.Marshaler
}

func (m enumHints) NewDecoder(r io.Reader) runtime.Decoder {
	d := json.NewDecoder(r)
	return runtime.DecoderFunc(func(v any) error {
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err
		}
		msg, ok := v.(proto.Message)
		if !ok {
			return m.Unmarshal(raw, v)
		}
		err := protojson.Unmarshal(raw, msg)
		if err == nil {
			return nil
		}
		if hint := enumHint(msg.ProtoReflect().Descriptor(), err.Error()); hint != "" {
			return fmt.Errorf("%s; %s", strings.ReplaceAll(err.Error(), "\u00a0", " "), hint)
		}
		return m.Unmarshal(raw, v)
	})
}

// enumError matches protojson's message for an unknown enum value.
var enumError = regexp.MustCompile(`invalid value for enum field[\s\x{00a0}]+(\w+)`)

// enumHint names the values of the enum field an error names, found by its
// JSON or proto name in md or the messages it holds; "" if none.
func enumHint(md protoreflect.MessageDescriptor, msg string) string {
	m := enumError.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	fd := findField(md, m[1], map[protoreflect.FullName]bool{})
	if fd == nil {
		return ""
	}
	var names []string
	vals := fd.Enum().Values()
	for i := range vals.Len() {
		if v := vals.Get(i); v.Number() != 0 {
			names = append(names, string(v.Name()))
		}
	}
	return fmt.Sprintf("%s takes %s", m[1], strings.Join(names, ", "))
}

func findField(md protoreflect.MessageDescriptor, name string, seen map[protoreflect.FullName]bool) protoreflect.FieldDescriptor {
	if seen[md.FullName()] {
		return nil
	}
	seen[md.FullName()] = true
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() == protoreflect.EnumKind && (fd.JSONName() == name || string(fd.Name()) == name) {
			return fd
		}
	}
	for i := range fields.Len() {
		if sub := fields.Get(i).Message(); sub != nil {
			if fd := findField(sub, name, seen); fd != nil {
				return fd
			}
		}
	}
	return nil
}
