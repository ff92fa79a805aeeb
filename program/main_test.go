package program

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the program's tests with a larger heap target: they register
// tens of thousands of resources under the mocks (a thousand users, many
// times over), and at Go's default the collector takes about a fifth of their
// CPU. Four times the target costs some 150 MB more and keeps
// `go test ./...` within its time on two cores.
func TestMain(m *testing.M) {
	debug.SetGCPercent(400)
	os.Exit(m.Run())
}
