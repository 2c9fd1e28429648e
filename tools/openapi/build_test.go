package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tasharuk/tasharuk/access"
)

const (
	swaggerPath = "../../api/tasharuk.swagger.json"
	openAPIPath = "../../api/openapi.json"
)

// The committed document is what the tool makes from the committed Swagger
// document, byte for byte, on every run.
func TestOpenAPIDocumentIsCurrentAndDeterministic(t *testing.T) {
	src, err := os.ReadFile(swaggerPath)
	if err != nil {
		t.Fatal(err)
	}
	first, err := Build(src)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Build(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("two runs of Build gave different documents")
	}
	committed, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, committed) {
		t.Fatal("api/openapi.json is not what tools/openapi makes from api/tasharuk.swagger.json: run scripts/generate and commit")
	}
}

func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	data, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background(), openapi3.IsOpenAPI31OrLater()); err != nil {
		t.Fatalf("not a valid OpenAPI 3.1 document: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid31(t *testing.T) {
	doc := loadDocument(t)
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	if doc.Info.Title != "tasharuk API" || !strings.HasPrefix(doc.Info.Version, "v1 2") {
		t.Errorf("info: title %q version %q", doc.Info.Title, doc.Info.Version)
	}
	if len(doc.Servers) == 0 {
		t.Error("no servers")
	}
	bearer := doc.Components.SecuritySchemes[bearerScheme]
	if bearer == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" || bearer.Value.BearerFormat != "JWT" {
		t.Errorf("bearer scheme: %+v", bearer)
	}
	info := doc.Components.Schemas[infoSchema]
	if info == nil {
		t.Fatal("no ErrorInfo schema")
	}
	for _, f := range []string{"reason", "domain", "metadata"} {
		if info.Value.Properties[f] == nil {
			t.Errorf("ErrorInfo has no %s", f)
		}
	}
	st := doc.Components.Schemas[statusSchema]
	if st == nil || st.Value.Properties["details"] == nil || st.Value.Properties["details"].Value.Items.Value.AnyOf[0].Ref != "#/components/schemas/"+infoSchema {
		t.Fatal("google.rpc.Status does not hold ErrorInfo details")
	}
	if doc.Components.Schemas[gatewayStatus] != nil {
		t.Error("rpcStatus is left")
	}
}

// Real path templates, documented parameters, security from the
// authorization table, error responses, unique operationIds.
func TestOpenAPIOperations(t *testing.T) {
	doc := loadDocument(t)
	policy := access.DefaultPolicy()
	gatewayName := regexp.MustCompile(`\{(name|parent)(_[0-9]+)?\}`)
	placeholder := regexp.MustCompile(`\{([^}]+)\}`)
	ids := map[string]string{}
	public, secured := 0, 0
	for _, path := range doc.Paths.Keys() {
		if gatewayName.MatchString(path) && path != "/v1/audit/history/{name}" {
			t.Errorf("path %s keeps grpc-gateway's name parameter", path)
		}
		for method, op := range doc.Paths.Value(path).Operations() {
			where := method + " " + path
			if prev, dup := ids[op.OperationID]; dup || op.OperationID == "" {
				t.Errorf("%s: operationId %q also on %s", where, op.OperationID, prev)
			}
			ids[op.OperationID] = where

			// Parameters and template agree.
			want := map[string]bool{}
			for _, m := range placeholder.FindAllStringSubmatch(path, -1) {
				want[m[1]] = true
			}
			for _, p := range op.Parameters {
				if p.Value.In != openapi3.ParameterInPath {
					continue
				}
				if !want[p.Value.Name] || !p.Value.Required || p.Value.Description == "" {
					t.Errorf("%s: path parameter %s not in the template, optional or undocumented", where, p.Value.Name)
				}
				delete(want, p.Value.Name)
			}
			if len(want) != 0 {
				t.Errorf("%s: template parameters %v not declared", where, want)
			}

			full, err := grpcMethod(op.OperationID, policy)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			rule := policy[full]
			if op.Security == nil {
				t.Errorf("%s: no security (neither a scheme nor explicitly public)", where)
				continue
			}
			if rule.Public {
				public++
				if len(*op.Security) != 0 {
					t.Errorf("%s: public in the authorization table but security %v", where, *op.Security)
				}
			} else {
				secured++
				if len(*op.Security) != 1 || (*op.Security)[0][bearerScheme] == nil {
					t.Errorf("%s: needs a token but security %v", where, *op.Security)
				}
			}
			if op.Summary == "" || op.Description == "" || strings.Contains(op.Summary, "\n") {
				t.Errorf("%s: summary %q, description %q", where, op.Summary, op.Description)
			}

			codes := []int{http.StatusBadRequest, http.StatusNotFound, http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInternalServerError}
			if !rule.Public {
				codes = append(codes, http.StatusUnauthorized, http.StatusForbidden)
			}
			if method != http.MethodGet {
				codes = append(codes, http.StatusConflict)
			}
			for _, c := range codes {
				r := op.Responses.Status(c)
				if r == nil || r.Value == nil {
					t.Errorf("%s: no %d response", where, c)
					continue
				}
				mt := r.Value.Content.Get("application/json")
				if mt == nil || mt.Schema.Ref != "#/components/schemas/"+statusSchema {
					t.Errorf("%s: %d response is not a google.rpc.Status", where, c)
				}
			}
			if op.Responses.Status(http.StatusOK) == nil {
				t.Errorf("%s: no 200", where)
			}
		}
	}
	if public == 0 || secured == 0 {
		t.Errorf("%d public and %d secured operations: the table was not applied", public, secured)
	}

	sign := doc.Paths.Value("/v1/communes/{commune}/petitions/{petition}:sign")
	if sign == nil || sign.Post == nil || sign.Post.OperationID != "PetitionService_SignPetition" {
		t.Fatal("no POST /v1/communes/{commune}/petitions/{petition}:sign")
	}
	if doc.Paths.Value("/v1/regions/{region}/status") == nil {
		t.Error("no /v1/regions/{region}/status (a singleton after the id)")
	}
}

func TestExpandPathRefusesUnknownCollections(t *testing.T) {
	op := &openapi3.Operation{Parameters: openapi3.Parameters{{Value: &openapi3.Parameter{
		Name: "name_1", In: openapi3.ParameterInPath, Required: true,
		Schema: openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: "communes/[^/]+/widgets/[^/]+"}),
	}}}}
	if _, err := expandPath("/v1/{name_1}", op); err == nil || !strings.Contains(err.Error(), "widgets") {
		t.Fatalf("unknown collection: %v", err)
	}
	op.Parameters[0].Value.Schema.Value.Pattern = "communes/[^/]+/petitions/[^/]+"
	path, err := expandPath("/v1/{name_1}:sign", op)
	if err != nil || path != "/v1/communes/{commune}/petitions/{petition}:sign" || len(op.Parameters) != 2 {
		t.Fatalf("expand: %q %v %d parameters", path, err, len(op.Parameters))
	}
}
