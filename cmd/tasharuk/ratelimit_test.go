package main

import (
	"testing"

	"golang.org/x/time/rate"

	petitionsv1 "github.com/tasharuk/tasharuk/api/tasharuk/petitions/v1"
)

func TestRateLimitsFromFlags(t *testing.T) {
	l := limits{SignPerToken: 5, SignPerAddress: 50, SignBurst: 20, FilePerToken: 0.1, FileBurst: 5}
	got := l.RateLimits()
	if len(got) != 2 {
		t.Fatalf("limited methods = %d, want 2 (sign, create)", len(got))
	}
	sign := got[petitionsv1.PetitionService_SignPetition_FullMethodName]
	if sign.PerToken != rate.Limit(5) || sign.TokenBurst != 20 || sign.PerAddress != rate.Limit(50) || sign.AddressBurst != 80 {
		t.Fatalf("SignPetition limit = %+v, want 5/s burst 20 per token, 50/s burst 80 per address", sign)
	}
	file := got[petitionsv1.PetitionService_CreatePetition_FullMethodName]
	if file.PerToken != rate.Limit(0.1) || file.TokenBurst != 5 || file.PerAddress != rate.Limit(1) || file.AddressBurst != 20 {
		t.Fatalf("CreatePetition limit = %+v, want 0.1/s burst 5 per token, 1/s burst 20 per address", file)
	}
}
