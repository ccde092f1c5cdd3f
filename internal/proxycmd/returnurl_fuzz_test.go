package proxycmd

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzReturnURL: whatever query a sign-in link has, reading its rd never
// panics, and gives either the decoded rd parameter or, when rd is the
// last one and a plain URL, the rest of the raw query as it came; what
// the login then does with it is StartLoginTo's (FuzzSafeReturn).
func FuzzReturnURL(f *testing.F) {
	for _, q := range []string{"rd=https://a/x?y=1&z=2", "rd=" + url.QueryEscape("https://a/x?y=1"), "x=1&rd=/p", "ard=x", "rd=%zz", "rd=", "rd=//evil"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/services/app/_hubauth/sign_in", nil)
		r.URL.RawQuery = query
		got := returnURL(r)
		if got == "" || got == r.URL.Query().Get("rd") {
			return
		}
		if !strings.HasSuffix(query, got) || !strings.Contains(query, "rd="+got) {
			t.Fatalf("returnURL(%q) = %q: neither rd nor the rest of the query", query, got)
		}
	})
}
