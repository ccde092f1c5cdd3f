package hubauth

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// CheckListen accepts what HUBAUTH_LISTEN and the commands' -listen flag
// take: host:port or :port (all interfaces), with a port from 1 to 65535;
// an IPv6 host goes in brackets, [::1]:8000.
func CheckListen(addr string) error {
	if strings.Contains(addr, "://") {
		return fmt.Errorf("want host:port or :port, not a URL, got %q", addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port or :port, got %q", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("want a port from 1 to 65535 in %q", addr)
	}
	if strings.ContainsAny(host, " \t\r\n/[]") {
		return fmt.Errorf("bad host in %q", addr)
	}
	return nil
}
