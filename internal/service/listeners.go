package service

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/hubauth-go/whoami/hubauth"
)

// extraListener is a listener a command serves besides the service's own
// port: like the operations listener, an address the hub's proxy never
// routes, for answers that must not reach a browser (a forward-auth
// endpoint that hands an ingress the caller's token).
type extraListener struct {
	setting string
	ln      net.Listener
	handler http.Handler
}

// ServeOn opens a listener at addr now, so that an address in use stops
// start-up with a message naming setting (the flag or variable that gave
// addr), and serves h on it, with the service's logger, bounds and
// shutdown, for as long as the service serves. It is for Start.
func (s *Service) ServeOn(setting, addr string, h http.Handler) error {
	if err := hubauth.CheckListen(addr); err != nil {
		return fmt.Errorf("%s: %w", setting, err)
	}
	ln, err := listen(setting, addr)
	if err != nil {
		return err
	}
	s.listeners = append(s.listeners, &extraListener{setting: setting, ln: ln, handler: h})
	return nil
}

// listen opens a TCP listener at addr; its error names setting, the flag
// or variable that gave addr.
func listen(setting, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			err = opErr.Err // "bind: address already in use", without repeating the address
		}
		return nil, fmt.Errorf("%s: cannot listen on %s: %v", setting, addr, err)
	}
	return ln, nil
}

// closeListeners gives the addresses back when the service stops before
// serving.
func (s *Service) closeListeners() {
	for _, l := range s.listeners {
		l.ln.Close()
	}
	s.listeners = nil
}
