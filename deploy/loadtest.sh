#!/usr/bin/env bash
# Load through standard clients: ghz (gRPC) and hey (HTTP), at pinned
# versions, against a tasharuk started here on a temporary data folder
# (or the one at $TASHARUK_URL with tokens in $TASHARUK_TOKEN_CITIZEN).
# Everything stays on loopback; every run is bounded in requests.
#   bash deploy/loadtest.sh [SIGNATURES] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
C=${2:-64}
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
GOBIN="$(go env GOPATH)/bin"
export PATH="$GOBIN:$PATH"
go install github.com/bojand/ghz/cmd/ghz@v0.121.0
go install github.com/rakyll/hey@v0.1.4

work=$(mktemp -d)
trap 'kill ${pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/tasharuk" ./cmd/tasharuk
addr=127.0.0.1:18088
"$work/tasharuk" serve --demo --addr "$addr" --data-dir "$work/data" --log-level warn --limit-sign 0 --limit-sign-address 0 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://$addr/readyz" >/dev/null && break; sleep 0.2; done

citizen=$("$work/tasharuk" token issue --role citizen --subject loadtest --data-dir "$work/data")
petition=$(curl -sf -H "Authorization: Bearer $citizen" "http://$addr/v1/communes/50910101/petitions" \
  -d '{"kind":"PETITIONER_KIND_CITIZENS","title":"Load test","request":"r","reasons":"r"}' | sed -E 's/.*"name":"([^"]+)".*/\1/')
curl -sf -H "Authorization: Bearer $citizen" "http://$addr/v1/$petition:openForSignatures" -d '{}' >/dev/null

echo "== ghz: $N signatures, $C concurrent (gRPC, durable)"
ghz --insecure --call tasharuk.petitions.v1.PetitionService/SignPetition \
  --metadata "{\"authorization\":\"Bearer $citizen\"}" \
  -d "{\"name\":\"$petition\",\"national_id\":\"L{{.RequestNumber}}\",\"full_name\":\"Load Signer\"}" \
  -n "$N" -c "$C" "$addr"

echo "== ghz: commune status (gRPC)"
ghz --insecure --call tasharuk.status.v1.StatusService/GetCouncilStatus \
  -d '{"name":"communes/50910101/status"}' -n 20000 -c 16 "$addr"

echo "== hey: commune status (REST)"
hey -n 20000 -c 16 "http://$addr/v1/communes/50910101/status"
