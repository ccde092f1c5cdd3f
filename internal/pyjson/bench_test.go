package pyjson

import "testing"

// userModel is what JupyterHub's GET /hub/api/user answers for a user with
// one running server and a service token's usual scopes, as the hub writes
// it (Python's default separators, keys in insertion order).
const userModel = `{"kind": "user", "name": "ada", "admin": false, "groups": ["whoami", "data-science"], ` +
	`"roles": ["user"], "scopes": ["access:servers!user=ada", "access:services!service=whoami", ` +
	`"delete:servers!user=ada", "read:servers!user=ada", "read:tokens!user=ada", "read:users!user=ada", ` +
	`"read:users:activity!user=ada", "read:users:groups!user=ada", "read:users:name!user=ada", ` +
	`"servers!user=ada", "tokens!user=ada", "users:activity!user=ada"], "server": "/user/ada/", ` +
	`"pending": null, "created": "2024-05-01T10:20:30.123456Z", "last_activity": "2024-06-11T08:09:10.654321Z", ` +
	`"session_id": "8f1c1f5a0e2b4d1c9a7e3b6d5c4f2a10", "servers": {}}`

func BenchmarkFormat(b *testing.B) {
	in := []byte(userModel)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Format(in); err != nil {
			b.Fatal(err)
		}
	}
}
