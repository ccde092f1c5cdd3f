package pyjson_test

import (
	"fmt"

	"github.com/hubauth-go/whoami/internal/pyjson"
)

func ExampleFormat() {
	model := []byte(`{"name":"ada","admin":false,"groups":["whoami"],"servers":{},` +
		`"score":1e16,"created":"2024-06-11T08:09:10Z","note":"café ☕ 😀 </>"}`)
	out, err := pyjson.Format(model)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))
	// Output:
	// {
	//  "admin": false,
	//  "created": "2024-06-11T08:09:10Z",
	//  "groups": [
	//   "whoami"
	//  ],
	//  "name": "ada",
	//  "note": "caf\u00e9 \u2615 \ud83d\ude00 </>",
	//  "score": 1e+16,
	//  "servers": {}
	// }
}
