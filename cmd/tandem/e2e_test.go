package main

import (
	"net/http"
	"testing"
)

// TestEndToEnd walks the product's journeys through the HTTP API of the
// system running as separate processes.
func TestEndToEnd(t *testing.T) {
	sys := startSystem(t)
	res, err := http.Get(sys.gateway + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz = %d", res.StatusCode)
	}
}
