package hubauth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestScopeGrants(t *testing.T) {
	for _, tc := range []struct {
		have, want string
		grants     bool
	}{
		{"access:services", "access:services", true},
		{"access:services", "access:services!service=whoami", true},
		{"access:services!service=whoami", "access:services!service=whoami", true},
		{"access:services!service=other", "access:services!service=whoami", false},
		{"access:services!service=whoami", "access:services", false},
		{"access:services!service=whoami-api", "access:services!service=whoami", false},
		{"access:servers", "access:services!service=whoami", false},
		{"access:servicesX", "access:services!service=whoami", false},
		{"read:users", "read:users!user=ada", true},
		{"read:users!user=ada", "read:users!user=ada", true},
		{"read:users!user=ada", "read:users!user=bob", false},
		{"access:servers!user=ada", "access:servers!server=ada/lab", true},
		{"access:servers!user=ada", "access:servers!server=ada/", true},
		{"access:servers!user=ada", "access:servers!server=adam/lab", false},
		{"access:servers!user=ada", "access:servers!server=ada", false},
		{"access:servers!server=ada/lab", "access:servers!user=ada", false},
		{"access:servers!group=g", "access:servers!group=g", true},
		{"access:servers!group=g", "access:servers!user=ada", false},
		{"access:services!service", "access:services!service=whoami", false},
		{"", "access:services", false},
	} {
		require.Equal(t, tc.grants, ScopeGrants(tc.have, tc.want), "%q grants %q", tc.have, tc.want)
	}
}

func TestGrantedScope(t *testing.T) {
	wanted := []string{"access:services", "access:services!service=whoami"}
	s, ok := grantedScope([]string{"self", "access:services!service=whoami"}, wanted)
	require.True(t, ok)
	require.Equal(t, "access:services!service=whoami", s)

	_, ok = grantedScope([]string{"access:services!service=other"}, wanted)
	require.False(t, ok)
	_, ok = grantedScope(nil, wanted)
	require.False(t, ok)
}
