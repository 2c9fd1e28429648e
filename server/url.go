package server

import (
	"net"
)

// URL is the address the service is reachable at, as a client writes it:
// https:// when the port speaks TLS, then the bound host and port. A
// wildcard bind (0.0.0.0, [::]) is reachable on every interface; the URL
// names localhost then, which works on the machine itself.
func URL(addr net.Addr, tls bool) string {
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() || host == "" {
		host = "localhost"
	}
	return scheme + net.JoinHostPort(host, port)
}
