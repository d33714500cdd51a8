package postgres

import (
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/storetest"
)

// TestConformance holds the store to the contract every Gatehouse store
// keeps, each subtest on a fresh schema of its own.
func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) gatehouse.Store { return newTestStore(t) })
}
