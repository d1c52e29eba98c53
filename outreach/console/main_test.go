package console_test

import (
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/outreach-dev/outreach/outreach"
)

func TestMain(m *testing.M) {
	// Hashing at the real cost takes a quarter second per password on a
	// busy machine; the tests check behaviour, not cost.
	outreach.PasswordCost = bcrypt.MinCost
	goleak.VerifyTestMain(m)
}
