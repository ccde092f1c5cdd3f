package hubauth

import "strings"

// ScopeGrants reports whether holding the scope have grants the scope want,
// with the hub's filter semantics:
//
//   - a scope grants itself;
//   - an unfiltered scope grants every filtered form of it:
//     access:services grants access:services!service=whoami;
//   - a filtered scope grants only its own target, never the unfiltered
//     scope: access:services!service=a does not grant access:services, nor
//     access:services!service=b;
//   - a !user= filter grants that user's servers:
//     access:servers!user=ada grants access:servers!server=ada/lab.
//
// Group filters (!group=) are matched only against the same group filter: a
// service cannot see group membership in a scope, and JupyterHub's own
// client makes the same choice.
func ScopeGrants(have, want string) bool {
	if have == want {
		return true
	}
	haveBase, haveFilter, haveFiltered := strings.Cut(have, "!")
	wantBase, wantFilter, wantFiltered := strings.Cut(want, "!")
	if haveBase != wantBase {
		return false
	}
	if !haveFiltered {
		return true
	}
	if !wantFiltered {
		return false
	}
	haveKind, haveTarget, ok1 := strings.Cut(haveFilter, "=")
	wantKind, wantTarget, ok2 := strings.Cut(wantFilter, "=")
	if !ok1 || !ok2 {
		return false
	}
	if haveKind == wantKind {
		return haveTarget == wantTarget
	}
	if haveKind == "user" && wantKind == "server" {
		owner, _, ok := strings.Cut(wantTarget, "/")
		return ok && owner == haveTarget
	}
	return false
}

// grantedScope returns the first scope in wanted that one of have grants,
// and whether there was one. It answers "may this caller in?" and, for
// logs, "because of what?".
func grantedScope(have, wanted []string) (string, bool) {
	for _, w := range wanted {
		for _, h := range have {
			if ScopeGrants(h, w) {
				return w, true
			}
		}
	}
	return "", false
}

// HasScope reports whether the caller's scopes grant want, with the hub's
// filter rules ([ScopeGrants]): for a page that shows more to callers with
// a custom scope, beside [RequireScopes] for routes only they may open.
func (u *User) HasScope(want string) bool {
	_, ok := grantedScope(u.Scopes, []string{want})
	return ok
}
