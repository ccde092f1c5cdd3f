package appserver

import (
	"bufio"
	"net"
	"net/http"
)

// Websocket traffic as activity. httputil.ReverseProxy takes over the
// client's connection for an upgrade (http.ResponseController.Hijack) and
// copies bytes both ways until one side closes. hijackTouching hands it a
// connection whose every Read (the browser's messages) and Write (the
// app's) touches the activity: no frame is parsed, and a connection
// nobody uses touches nothing, so it does not keep a server alive. Touch
// is an atomic store and a non-blocking send, cheap next to a read or a
// write.

// hijackTouching is a ResponseWriter whose hijacked connection touches
// the activity on every read and write.
type hijackTouching struct {
	http.ResponseWriter
	touch func()
}

// Hijack takes over the connection, as the writer below would, wrapped.
func (h *hijackTouching) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &touchingConn{Conn: conn, touch: h.touch}, rw, nil
}

// Unwrap lets http.ResponseController reach the writer below for
// everything else (Flush, deadlines).
func (h *hijackTouching) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// touchingConn touches the activity whenever bytes go through it.
type touchingConn struct {
	net.Conn
	touch func()
}

func (c *touchingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *touchingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.touch()
	}
	return n, err
}
