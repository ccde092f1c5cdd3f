//go:build soak && !bench

package bench

import (
	"os"
	"testing"

	"github.com/hubauth-go/whoami/internal/hubtest"
)

func TestMain(m *testing.M) { os.Exit(hubtest.Main(m)) }
