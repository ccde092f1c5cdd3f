package oidc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The clients file lists the applications that may log users in, in YAML
// (or JSON, which YAML reads too):
//
//	clients:
//	  - client_id: grafana
//	    client_secret_file: /etc/hubauth-oidc/grafana-secret
//	    redirect_uris: [https://grafana.example.org/login/generic_oauth]
//	    allowed_groups: [staff]
//	  - client_id: cli
//	    redirect_uris: [http://127.0.0.1:8250/callback]   # no secret: a public client, with PKCE
//
// A field it does not know, a missing or malformed one, or two entries
// with one client_id stop start-up, with a message naming the entry.

// clientFields are the keys an entry may have: Client's yaml tags.
func clientFields() []string {
	return []string{
		"client_id", "client_secret", "client_secret_file", "redirect_uris",
		"allowed_groups", "post_logout_redirect_uris", "id_token_signed_response_alg",
	}
}

// maxClientsFile bounds what is read of a clients file.
const maxClientsFile = 1 << 20

// LoadClients reads the clients file at path (see [ParseClients]); the
// error names the file.
func LoadClients(path string) ([]Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	clients, err := ParseClients(data)
	if err != nil {
		var problems []error
		for _, e := range unjoin(err) {
			problems = append(problems, fmt.Errorf("%s: %w", path, e))
		}
		return nil, errors.Join(problems...)
	}
	return clients, nil
}

// ParseClients reads a clients file: a YAML or JSON object whose
// "clients" list has one entry per application, with the fields of
// [Client]. A client_secret_file is read from disk. Every problem is
// reported at once, each naming its entry by position and client_id.
func ParseClients(data []byte) ([]Client, error) {
	if len(data) > maxClientsFile {
		return nil, fmt.Errorf("larger than %d bytes", maxClientsFile)
	}
	var doc struct {
		Clients []yaml.Node `yaml:"clients"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a clients file (a YAML or JSON object with a list \"clients\"): %s", yamlMessage(err))
	}
	if len(doc.Clients) == 0 {
		return nil, errors.New(`no clients: list them under "clients:"`)
	}
	var problems []error
	clients := make([]Client, 0, len(doc.Clients))
	seen := map[string]int{}
	for i, node := range doc.Clients {
		c, err := parseClient(&node)
		name := fmt.Sprintf("clients[%d]", i)
		if c.ID != "" {
			name += fmt.Sprintf(" (%.60q)", c.ID)
		}
		if err == nil {
			if first, dup := seen[c.ID]; dup {
				err = fmt.Errorf("client_id: also the id of clients[%d]", first)
			}
			seen[c.ID] = i
		}
		if err != nil {
			for _, e := range unjoin(err) {
				problems = append(problems, fmt.Errorf("%s, line %d: %v", name, node.Line, e))
			}
			continue
		}
		clients = append(clients, c)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return clients, nil
}

// parseClient reads one entry: only known fields, the secret from its
// file, every field checked.
func parseClient(node *yaml.Node) (Client, error) {
	var c Client
	if node.Kind != yaml.MappingNode {
		return c, errors.New("want an object with client_id, redirect_uris, …")
	}
	var problems []error
	known := clientFields()
	for i := 0; i+1 < len(node.Content); i += 2 {
		if key := node.Content[i].Value; !slices.Contains(known, key) {
			problems = append(problems, fmt.Errorf("unknown field %.40q (known: %s)", key, strings.Join(known, ", ")))
		}
	}
	if err := node.Decode(&c); err != nil {
		return c, errors.Join(append(problems, errors.New(yamlMessage(err)))...)
	}
	switch {
	case c.Secret != "" && c.SecretFile != "":
		problems = append(problems, errors.New("client_secret and client_secret_file: give one, not both"))
	case c.SecretFile != "":
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			problems = append(problems, fmt.Errorf("client_secret_file: %v", err))
			break
		}
		if c.Secret = strings.TrimSpace(string(b)); c.Secret == "" {
			problems = append(problems, fmt.Errorf("client_secret_file: %s is empty", c.SecretFile))
		}
	}
	if err := c.check(); err != nil {
		problems = append(problems, unjoin(err)...)
	}
	return c, errors.Join(problems...)
}

// yamlMessage is a YAML error without the library's prefix and Go type
// names, which mean nothing to whoever wrote the file.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	for _, goType := range []string{" into []string", " into string", " in type struct { Clients []yaml.Node \"yaml:\\\"clients\\\"\" }"} {
		msg = strings.ReplaceAll(msg, goType, "")
	}
	return msg
}

// unjoin lists the errors an errors.Join made, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
