// Command openapi writes tasharuk's OpenAPI 3.1 description, api/openapi.json,
// from the Swagger 2.0 document that protoc-gen-openapiv2 writes on every
// `buf generate` (api/tasharuk.swagger.json). CI runs it right after
// buf generate and fails when the committed file differs:
//
//	go run ./tools/openapi
//
// The conversion is kin-openapi's (openapi2conv to 3.0, openapi3conv for the
// 3.1 forms); this program completes what the Swagger document lacks:
//   - real path templates: grpc-gateway writes /v1/{name_3}:sign with a
//     pattern communes/[^/]+/petitions/[^/]+ on name_3; here that becomes
//     /v1/communes/{commune}/petitions/{petition}:sign, one documented
//     parameter per segment;
//   - the bearer security scheme, required or not per operation from the
//     authorization table (access.DefaultPolicy), public reads marked
//     `security: []`;
//   - the error responses the gateway really sends, by HTTP status, with
//     the google.rpc.Status body and its ErrorInfo detail, and the reasons
//     of the catalogue (server.Catalogue) behind each status;
//   - the title, version, servers, and summaries cut from the proto
//     comments (the whole comment stays as the description).
//
// The output is deterministic: the same inputs give the same bytes.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	in := flag.String("in", "api/tasharuk.swagger.json", "Swagger 2.0 document written by protoc-gen-openapiv2")
	out := flag.String("out", "api/openapi.json", "OpenAPI 3.1 document to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	doc, err := Build(src)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, doc, 0o644)
}
