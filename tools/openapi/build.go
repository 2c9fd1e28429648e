package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3conv"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"

	"github.com/tasharuk/tasharuk/access"
	"github.com/tasharuk/tasharuk/server"
)

const (
	title = "tasharuk API"
	// apiRevision dates the HTTP API: bump it when the protos' HTTP surface
	// changes. It is a constant, not today's date, so that the document is
	// the same on every run.
	apiRevision = "2026-12-01"
	// openAPIVersion is the version the document is written in.
	openAPIVersion = "3.1.0"

	bearerScheme = "bearerAuth"
	statusSchema = "google.rpc.Status"
	infoSchema   = "google.rpc.ErrorInfo"
	anySchema    = "protobufAny"
	// gatewayStatus is protoc-gen-openapiv2's name for google.rpc.Status.
	gatewayStatus = "rpcStatus"
	errorInfoType = "type.googleapis.com/google.rpc.ErrorInfo"
)

// collections names the path parameter of each collection of a resource
// name and says what it holds. A new collection in the protos must be
// added here: Build fails on one it does not know.
var collections = map[string]struct{ param, doc string }{
	"communes":            {"commune", "Code of the commune (its HCP code)."},
	"provinces":           {"province", "Code of the province or prefecture (its HCP code)."},
	"regions":             {"region", "Code of the region (its HCP code)."},
	"petitions":           {"petition", "Id of the petition in its council."},
	"documents":           {"document", "Id of the document in its petition."},
	"advisoryBodies":      {"advisoryBody", "Id of the advisory body in its council."},
	"opinions":            {"opinion", "Id of the opinion in its body."},
	"consultations":       {"consultation", "Id of the consultation in its council."},
	"informationRequests": {"informationRequest", "Id of the request for information in its council."},
	"programmes":          {"programme", "Year the mandate of the programme began (2021)."},
	"deadLetters":         {"deadLetter", "Key of the dead letter (a hash of event, recipient and channel)."},
}

// Build returns the OpenAPI 3.1 document, indented JSON, for the Swagger
// 2.0 document swagger.
func Build(swagger []byte) ([]byte, error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(swagger, &doc2); err != nil {
		return nil, fmt.Errorf("parse Swagger 2.0: %w", err)
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("convert to OpenAPI 3.0: %w", err)
	}
	policy := access.DefaultPolicy()
	statuses := errorStatuses()

	version, err := protoVersion(policy)
	if err != nil {
		return nil, err
	}
	doc.Info = &openapi3.Info{
		Title:       title,
		Version:     version + " " + apiRevision,
		Description: overview,
	}
	doc.Servers = openapi3.Servers{
		// Relative: the server that serves this document (a local
		// `tasharuk serve` listens on localhost:8080).
		{URL: "/", Description: "The server that serves this document."},
	}
	addComponents(doc, statuses)

	paths := openapi3.NewPaths()
	for _, p := range doc.Paths.Keys() {
		item := doc.Paths.Value(p)
		for _, method := range sortedKeys(item.Operations()) {
			op := item.GetOperation(method)
			path, err := expandPath(p, op)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, p, err)
			}
			if err := completeOperation(method, op, policy, statuses, doc.Components.Responses); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, p, err)
			}
			target := paths.Value(path)
			if target == nil {
				target = &openapi3.PathItem{}
				paths.Set(path, target)
			}
			if target.GetOperation(method) != nil {
				return nil, fmt.Errorf("%s %s: two operations on %s", method, p, path)
			}
			target.SetOperation(method, op)
		}
	}
	doc.Paths = paths

	ctx := context.Background()
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("the OpenAPI 3.0 form is not valid: %w", err)
	}
	// openapi3conv rewrites the 3.0 forms (nullable, boolean exclusive
	// bounds, example) into their 3.1 equivalents; it names the latest 3.x
	// it knows, and the 3.1 forms are the same, so the version is set back.
	openapi3conv.Upgrade(doc)
	doc.OpenAPI = openAPIVersion

	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	if bytes.Contains(out, []byte("#/components/schemas/"+gatewayStatus+`"`)) {
		return nil, fmt.Errorf("a reference to %s is left", gatewayStatus)
	}
	// Load what is written, as a client would, and validate it as 3.1.
	loaded, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	if err := loaded.Validate(ctx, openapi3.IsOpenAPI31OrLater()); err != nil {
		return nil, fmt.Errorf("the OpenAPI 3.1 document is not valid: %w", err)
	}
	return append(out, '\n'), nil
}

const overview = `The REST face of tasharuk's gRPC API (grpc-gateway; the gRPC services
answer on the same port). This document is generated from the protos on every
` + "`buf generate`" + ` (tools/openapi) and served at ` + "`/openapi.json`" + `; ` + "`/docs`" + ` renders it.

**Authentication.** Reads are public. Acts need a bearer token (a JWT) in
` + "`Authorization: Bearer …`" + `: one from ` + "`tasharuk token issue --role … [--council …]`" + `, or an
ID token of the OIDC provider the server is configured with. Each operation says
which roles may call it; staff and advisory tokens act only on their own council.

**Errors.** A failed call answers with a ` + "`google.rpc.Status`" + ` body whose ` + "`details`" + ` hold
a ` + "`google.rpc.ErrorInfo`" + ` (domain ` + "`" + server.ErrorDomain + "`" + `): its ` + "`reason`" + ` is machine-readable
and stable, and its ` + "`message`" + ` tells a clerk what to do. Each error response lists the
reasons it carries. A write that fails records nothing.

**Consistency.** Every act returns the log position it wrote; every read takes
` + "`min_position`" + ` to wait until the read model has caught up with it.`

// protoVersion returns the version of the proto packages behind the API
// ("v1"), the same for all of them.
func protoVersion(policy access.Policy) (string, error) {
	re := regexp.MustCompile(`^/tasharuk\.[a-z]+\.(v[0-9]+)\.`)
	seen := map[string]bool{}
	for _, m := range policy.Methods() {
		if s := re.FindStringSubmatch(m); s != nil {
			seen[s[1]] = true
		}
	}
	if len(seen) != 1 {
		return "", fmt.Errorf("the proto packages have versions %v, want one", sortedKeys(seen))
	}
	return sortedKeys(seen)[0], nil
}

// errorStatus is one HTTP status an error reaches clients with.
type errorStatus struct {
	status  int
	name    string // the component's name
	reasons []string
	help    map[string]string
	code    int    // the gRPC code of the example's reason
	generic string // the reason named as a gRPC code is ("INVALID_ARGUMENT"), if any
}

// errorStatuses groups the catalogue's reasons by the HTTP status the
// gateway gives their gRPC code (runtime.HTTPStatusFromCode, the mapping
// the server's gateway uses), in order of status.
func errorStatuses() []*errorStatus {
	by := map[int]*errorStatus{}
	for _, e := range server.Catalogue {
		st, ok := operationStatus(string(e.Reason), e.Code)
		if !ok {
			continue
		}
		es := by[st]
		if es == nil {
			es = &errorStatus{status: st, name: strings.ReplaceAll(http.StatusText(st), " ", ""), help: map[string]string{}, code: int(e.Code)}
			by[st] = es
		}
		if string(e.Reason) == upperSnake(e.Code.String()) {
			es.generic, es.code = string(e.Reason), int(e.Code)
		}
		es.reasons = append(es.reasons, string(e.Reason))
		es.help[string(e.Reason)] = e.Help
	}
	var out []*errorStatus
	for _, st := range sortedKeys(by) {
		out = append(out, by[st])
	}
	return out
}

// operationStatus is the HTTP status a reason reaches a client of an
// operation with: the gateway's mapping of its gRPC code, except for the
// reasons the gateway's own error handler sends with another status
// (server/gateway.go). It reports false for the reasons no operation answers
// with: METHOD_NOT_ALLOWED (a path called with a method it has no operation
// for) and CANCELLED (the client went away before any answer).
func operationStatus(reason string, code codes.Code) (int, bool) {
	switch reason {
	case "METHOD_NOT_ALLOWED", "CANCELLED":
		return 0, false
	case "REQUEST_TOO_LARGE":
		return http.StatusRequestEntityTooLarge, true
	}
	return runtime.HTTPStatusFromCode(code), true
}

func addComponents(doc *openapi3.T, statuses []*errorStatus) {
	c := doc.Components
	if c == nil {
		c = &openapi3.Components{}
		doc.Components = c
	}
	if c.Schemas == nil {
		c.Schemas = openapi3.Schemas{}
	}
	delete(c.Schemas, gatewayStatus)
	var reasons []any
	for _, e := range server.Catalogue {
		reasons = append(reasons, string(e.Reason))
	}
	slices.SortFunc(reasons, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	c.Schemas[infoSchema] = openapi3.NewSchemaRef("", &openapi3.Schema{
		Type:        &openapi3.Types{openapi3.TypeObject},
		Description: "Why a call failed, in machine-readable form (AIP-193).",
		Required:    []string{"@type", "reason", "domain"},
		Properties: openapi3.Schemas{
			"@type": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Enum: []any{errorInfoType}}),
			"reason": openapi3.NewSchemaRef("", &openapi3.Schema{
				Type:        &openapi3.Types{openapi3.TypeString},
				Description: "The reason, one of the catalogue's (server/errors.go); each error response lists those it carries.",
				Enum:        reasons,
			}),
			"domain": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Enum: []any{server.ErrorDomain}}),
			"metadata": openapi3.NewSchemaRef("", &openapi3.Schema{
				Type:                 &openapi3.Types{openapi3.TypeObject},
				Description:          "Facts about the failure, such as the method, the role or the log's head.",
				AdditionalProperties: openapi3.AdditionalProperties{Schema: openapi3.NewSchemaRef("", openapi3.NewStringSchema())},
			}),
		},
	})
	c.Schemas[statusSchema] = openapi3.NewSchemaRef("", &openapi3.Schema{
		Type:        &openapi3.Types{openapi3.TypeObject},
		Description: "The body of every error: a google.rpc.Status as grpc-gateway writes it. Its details hold a google.rpc.ErrorInfo naming the reason.",
		Required:    []string{"code"},
		Properties: openapi3.Schemas{
			"code":    openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeInteger}, Format: "int32", Description: "The gRPC status code (3 INVALID_ARGUMENT, 5 NOT_FOUND, 7 PERMISSION_DENIED, 9 FAILED_PRECONDITION, 16 UNAUTHENTICATED, …)."}),
			"message": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Description: "What went wrong, in words a clerk can act on."}),
			"details": openapi3.NewSchemaRef("", &openapi3.Schema{
				Type: &openapi3.Types{openapi3.TypeArray},
				Items: openapi3.NewSchemaRef("", &openapi3.Schema{AnyOf: openapi3.SchemaRefs{
					openapi3.NewSchemaRef("#/components/schemas/"+infoSchema, c.Schemas[infoSchema].Value),
					openapi3.NewSchemaRef("#/components/schemas/"+anySchema, c.Schemas[anySchema].Value),
				}}),
			}),
		},
	})
	if c.SecuritySchemes == nil {
		c.SecuritySchemes = openapi3.SecuritySchemes{}
	}
	c.SecuritySchemes[bearerScheme] = &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
		Type:         "http",
		Scheme:       "bearer",
		BearerFormat: "JWT",
		Description: "A JWT: issued by `tasharuk token issue --role ROLE [--council CODE]` (signed with the server's key), " +
			"or an ID token of the OIDC provider the server trusts. Its role is one of " + roleNames() +
			"; staff and advisory tokens carry their council.",
	}}
	if c.Responses == nil {
		c.Responses = openapi3.ResponseBodies{}
	}
	for _, es := range statuses {
		var b strings.Builder
		fmt.Fprintf(&b, "%s. The ErrorInfo reason is one of:\n", http.StatusText(es.status))
		for _, r := range es.reasons {
			fmt.Fprintf(&b, "\n- `%s`: %s", r, es.help[r])
		}
		resp := errorResponse(b.String(), es, c.Schemas[statusSchema].Value)
		if es.status == http.StatusTooManyRequests {
			resp.Headers = openapi3.Headers{"Retry-After": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "Seconds to wait before retrying.",
				Schema:      openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeInteger}}),
			}}}}
		}
		c.Responses[es.name] = &openapi3.ResponseRef{Value: resp}
	}
}

func errorResponse(description string, es *errorStatus, status *openapi3.Schema) *openapi3.Response {
	// The example shows the status's generic reason where it has one
	// (INVALID_ARGUMENT for 400), else its first.
	reason := es.reasons[0]
	for _, r := range es.reasons {
		if r == es.generic {
			reason = r
		}
	}
	example := map[string]any{
		"code":    es.code,
		"message": es.help[reason],
		"details": []any{map[string]any{"@type": errorInfoType, "reason": reason, "domain": server.ErrorDomain, "metadata": map[string]any{}}},
	}
	return &openapi3.Response{
		Description: &description,
		Content: openapi3.Content{"application/json": &openapi3.MediaType{
			Schema:  openapi3.NewSchemaRef("#/components/schemas/"+statusSchema, status),
			Example: example,
		}},
	}
}

// upperSnake returns "INVALID_ARGUMENT" for "InvalidArgument".
func upperSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

func roleNames() string {
	var s []string
	for _, r := range access.Roles() {
		s = append(s, "`"+string(r)+"`")
	}
	return strings.Join(s, ", ")
}

// expandPath turns grpc-gateway's /v1/{name_3}:sign, whose name_3 has the
// pattern communes/[^/]+/petitions/[^/]+, into
// /v1/communes/{commune}/petitions/{petition}:sign, and the operation's one
// parameter into one per segment.
func expandPath(path string, op *openapi3.Operation) (string, error) {
	var params openapi3.Parameters
	for _, pr := range op.Parameters {
		p := pr.Value
		if p == nil || p.In != openapi3.ParameterInPath || p.Schema == nil || p.Schema.Value == nil || !strings.Contains(p.Schema.Value.Pattern, "/") {
			if p != nil && p.In == openapi3.ParameterInPath && p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Pattern == ".+" {
				// {name=**}: the name's slashes stay slashes.
				p.Description = strings.TrimSuffix(strings.TrimSpace(p.Description), ".") +
					"; it spans several path segments, slashes unescaped (`communes/50910101/petitions/ID`)."
			}
			params = append(params, pr)
			continue
		}
		// "[^/]+" holds a slash: name it before splitting on slashes.
		segs := strings.Split(strings.ReplaceAll(p.Schema.Value.Pattern, "[^/]+", "*"), "/")
		var tmpl []string
		var added openapi3.Parameters
		for i := 0; i < len(segs); i++ {
			if i+1 < len(segs) && segs[i+1] == "*" {
				// A collection and an id in it.
				coll := segs[i]
				c, ok := collections[coll]
				if !ok {
					return "", fmt.Errorf("parameter %s: collection %s of %q is unknown: add it to tools/openapi", p.Name, coll, p.Schema.Value.Pattern)
				}
				tmpl = append(tmpl, coll+"/{"+c.param+"}")
				added = append(added, &openapi3.ParameterRef{Value: &openapi3.Parameter{
					Name:        c.param,
					In:          openapi3.ParameterInPath,
					Required:    true,
					Description: c.doc,
					Schema:      openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Pattern: "^[^/]+$"}),
				}})
				i++
				continue
			}
			// A singleton sub-resource ("status").
			if !regexp.MustCompile(`^[a-zA-Z]+$`).MatchString(segs[i]) {
				return "", fmt.Errorf("parameter %s: segment %q of %q is neither a collection nor a name", p.Name, segs[i], p.Schema.Value.Pattern)
			}
			tmpl = append(tmpl, segs[i])
		}
		if len(added) == 0 {
			return "", fmt.Errorf("parameter %s: pattern %q names no id", p.Name, p.Schema.Value.Pattern)
		}
		resource := strings.Join(tmpl, "/")
		last := added[len(added)-1].Value
		last.Description += " The path names the resource `" + resource + "`"
		if d := strings.TrimSpace(p.Description); d != "" {
			last.Description += " (" + strings.TrimSuffix(d, ".") + ")"
		}
		last.Description += "."
		placeholder := "{" + p.Name + "}"
		if !strings.Contains(path, placeholder) {
			return "", fmt.Errorf("parameter %s is not in the path", p.Name)
		}
		path = strings.Replace(path, placeholder, resource, 1)
		params = append(params, added...)
	}
	// Every {x} of the path is a parameter, and every path parameter is in
	// the path.
	inPath := map[string]bool{}
	for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
		if inPath[m[1]] {
			return "", fmt.Errorf("%s: parameter %s twice", path, m[1])
		}
		inPath[m[1]] = true
	}
	for _, pr := range params {
		if pr.Value.In == openapi3.ParameterInPath {
			if !inPath[pr.Value.Name] {
				return "", fmt.Errorf("%s: path parameter %s is not in the path", path, pr.Value.Name)
			}
			delete(inPath, pr.Value.Name)
		}
	}
	if len(inPath) != 0 {
		return "", fmt.Errorf("%s: undocumented path parameters %v", path, sortedKeys(inPath))
	}
	op.Parameters = params
	return path, nil
}

// completeOperation sets the operation's security from the authorization
// table, its error responses, and its summary.
func completeOperation(method string, op *openapi3.Operation, policy access.Policy, statuses []*errorStatus, responses openapi3.ResponseBodies) error {
	full, err := grpcMethod(op.OperationID, policy)
	if err != nil {
		return err
	}
	rule := policy[full]

	text := strings.TrimSpace(strings.TrimSpace(op.Summary) + "\n\n" + strings.TrimSpace(op.Description))
	if text == "" {
		return fmt.Errorf("%s has no comment in the proto", full)
	}
	op.Summary = firstSentence(text)
	op.Description = text + "\n\n" + accessLine(rule) + "\n\ngRPC: `" + full + "`."

	if rule.Public {
		op.Security = &openapi3.SecurityRequirements{}
	} else {
		op.Security = &openapi3.SecurityRequirements{{bearerScheme: []string{}}}
	}

	if op.RequestBody != nil && op.RequestBody.Value != nil {
		delete(op.RequestBody.Value.Extensions, "x-originalParamName")
	}

	ok := op.Responses.Status(http.StatusOK)
	if ok == nil {
		return fmt.Errorf("%s has no 200 response", full)
	}
	out := openapi3.NewResponses()
	out.Delete("default")
	out.Set("200", ok)
	for _, es := range statuses {
		if !applies(es.status, method, rule) {
			continue
		}
		out.Set(fmt.Sprint(es.status), &openapi3.ResponseRef{Ref: "#/components/responses/" + es.name, Value: responses[es.name].Value})
	}
	op.Responses = out
	return nil
}

// applies reports whether an error status can answer method under rule.
func applies(status int, method string, rule access.Rule) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return !rule.Public
	case http.StatusConflict, http.StatusRequestEntityTooLarge:
		// ALREADY_EXISTS and ABORTED come from writes only, and only a
		// request with a body can be too large.
		return method != http.MethodGet
	}
	return true
}

func accessLine(rule access.Rule) string {
	if rule.Public {
		return "**Access:** public; no token needed."
	}
	var roles []string
	bound := false
	for _, r := range rule.Roles {
		roles = append(roles, "`"+string(r)+"`")
		bound = bound || r.CouncilBound()
	}
	line := "**Access:** a bearer token with role " + joinOr(roles)
	if rule.Scoped && bound {
		line += "; a staff or advisory token only for its own council, the one the path names"
	}
	return line + "."
}

func joinOr(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// grpcMethod returns the full gRPC method of a grpc-gateway operationId:
// "/tasharuk.petitions.v1.PetitionService/SignPetition" for
// "PetitionService_SignPetition2" (the 2 numbers the second binding).
func grpcMethod(operationID string, policy access.Policy) (string, error) {
	service, method, ok := strings.Cut(operationID, "_")
	if !ok {
		return "", fmt.Errorf("operationId %q is not Service_Method", operationID)
	}
	find := func(m string) []string {
		var found []string
		for _, full := range policy.Methods() {
			if strings.HasSuffix(full, "."+service+"/"+m) {
				found = append(found, full)
			}
		}
		return found
	}
	found := find(method)
	if len(found) == 0 {
		found = find(strings.TrimRight(method, "0123456789"))
	}
	if len(found) != 1 {
		return "", fmt.Errorf("operationId %q: %d methods of the authorization table match (%v); every RPC needs exactly one row", operationID, len(found), found)
	}
	return found[0], nil
}

// firstSentence returns the first sentence of the comment's first
// paragraph, on one line.
func firstSentence(text string) string {
	para, _, _ := strings.Cut(text, "\n\n")
	para = strings.Join(strings.Fields(para), " ")
	if i := strings.Index(para, ". "); i >= 0 {
		return para[:i+1]
	}
	return para
}

func sortedKeys[K interface{ ~string | ~int }, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
