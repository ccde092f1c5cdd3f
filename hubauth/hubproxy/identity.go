package hubproxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/hubauth-go/whoami/hubauth"
)

// setIdentity writes the caller's identity headers into h: the name and
// groups, and, unless namesOnly, the model and the token when the options
// pass them.
func (p *Proxy) setIdentity(h http.Header, r *http.Request, namesOnly bool) {
	u := hubauth.UserFromContext(r.Context())
	if u == nil {
		return
	}
	h.Set(HeaderUser, u.Name)
	if len(u.Groups) > 0 {
		h.Set(HeaderGroups, strings.Join(u.Groups, ","))
	}
	if namesOnly {
		return
	}
	if p.opts.PassUserModel {
		if m := u.Derived(modelKey{}, modelHeader).(string); m != "" {
			h.Set(HeaderUserModel, m)
		}
	}
	if p.opts.PassAccessToken {
		if t := hubauth.TokenFromContext(r.Context()); t != "" && validHeaderValue(t) {
			h.Set(HeaderAccessToken, t)
		}
	}
}

type modelKey struct{}

// modelHeader is the model as one line of JSON with every non-ASCII
// character written \uXXXX, so it is a valid header value whatever the
// app's framework makes of bytes above 0x7f. Computed once per hub answer.
func modelHeader(u *hubauth.User) any {
	var v any
	if err := json.Unmarshal(u.JSON(), &v); err != nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return asciiJSON(b)
}

// asciiJSON escapes every non-ASCII rune of compact JSON as \uXXXX (with
// surrogate pairs beyond the BMP), which JSON parsers read back unchanged.
func asciiJSON(b []byte) string {
	var sb strings.Builder
	for _, r := range string(b) {
		switch {
		case r < utf8.RuneSelf:
			sb.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&sb, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&sb, `\u%04x`, r)
		}
	}
	return sb.String()
}
