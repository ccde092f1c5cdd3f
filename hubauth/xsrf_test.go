package hubauth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The XSRF check reads a url-encoded body for its _xsrf field and gives
// it back as it came, so the handler behind (or the app behind a proxy)
// reads every byte in the order sent.
func TestXSRFFormBodyGivenBack(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"field last", "b=two+words&a=1&_xsrf=tok", "tok"},
		{"field first", "_xsrf=tok&z=1", "tok"},
		{"no field", "a=1", ""},
		{"not a form", "%zz=1&_xsrf=tok", ""},
		{"too big", "_xsrf=tok&pad=" + strings.Repeat("x", maxXSRFForm), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/services/x/", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			require.Equal(t, tc.want, xsrfSubmitted(r))
			got, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			require.Equal(t, tc.body, string(got))
			require.NoError(t, r.Body.Close())
		})
	}
}
