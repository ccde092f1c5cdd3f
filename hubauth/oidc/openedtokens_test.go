package oidc

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOpenedTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	o := newOpenedTokens(time.Minute, 3)
	ac := accessContents{HubToken: "h", Client: "app", Expires: now.Add(30 * time.Second).Unix()}

	_, ok := o.get("a", now)
	require.False(t, ok, "nothing before it is put")
	o.put("a", ac, now)
	got, ok := o.get("a", now)
	require.True(t, ok)
	require.Equal(t, ac, got)
	_, ok = o.get("a ", now)
	require.False(t, ok, "another value is another token")

	_, ok = o.get("a", now.Add(30*time.Second))
	require.False(t, ok, "gone at the token's own expiry")

	long := accessContents{Expires: now.Add(time.Hour).Unix()}
	o.put("b", long, now)
	_, ok = o.get("b", now.Add(59*time.Second))
	require.True(t, ok)
	_, ok = o.get("b", now.Add(time.Minute))
	require.False(t, ok, "and at most the cache's max age")

	for i := range 10 {
		o.put(fmt.Sprint(i), long, now)
	}
	require.Len(t, o.tokens, 3, "bounded")

	var none *openedTokens = newOpenedTokens(0, 10)
	require.Nil(t, none, "HUBAUTH_CACHE_MAX_AGE=0 turns it off")
	none.put("a", long, now)
	_, ok = none.get("a", now)
	require.False(t, ok)
}
