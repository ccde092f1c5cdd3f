package whoami

import (
	"bytes"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hubauth-go/whoami/hubauth"
)

func TestUnderPrefix(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	h := UnderPrefix("/services/whoami-api/", ok)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/services/whoami-api/", 299},
		{"/services/whoami-api", 299},
		{"/services/whoami-api/deeper/path", 299},
		{"/services/whoami-apix", 404},
		{"/services/other/", 404},
		{"/", 404},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
		require.Equal(t, tc.status, w.Code, tc.path)
		if tc.status == 404 {
			require.JSONEq(t, `{"status": 404, "message": "not found: this service serves /services/whoami-api/"}`, w.Body.String())
		}
	}

	// A prefix of "/" serves everything.
	w := httptest.NewRecorder()
	UnderPrefix("/", ok).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/anything", nil))
	require.Equal(t, 299, w.Code)
}

func TestHandlerWithoutMiddleware(t *testing.T) {
	w := httptest.NewRecorder()
	Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusInternalServerError, w.Code)
}

func TestAccessLogLeavesOutTheQuery(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	h := AccessLog(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/p?token=secret-token", nil))
	require.Contains(t, logs.String(), "status=403")
	require.Contains(t, logs.String(), "path=/p")
	require.NotContains(t, logs.String(), "secret-token")
}

func TestUsageListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	Usage(&out, fs, "whoami-x", "About it.")()
	s := out.String()
	require.True(t, strings.HasPrefix(s, "Usage: whoami-x\n\nAbout it.\n"))
	require.Contains(t, s, "JUPYTERHUB_API_TOKEN")
	require.Contains(t, s, "HUBAUTH_CACHE_SIZE")
}

// The README's configuration tables and -h are written from the same list;
// a setting added to hubauth must be documented in both.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, s := range hubauth.Settings() {
		require.Contains(t, string(readme), "| `"+s.Name+"` |", "README.md lacks a row for %s", s.Name)
	}
}
