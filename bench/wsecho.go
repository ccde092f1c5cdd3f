package bench

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// WSEcho opens a websocket at rawURL (http://…) with the Authorization
// header token, sends n messages of size bytes one after another, checks
// each comes back unchanged, and reports the round trips as a Result.
// Just enough of RFC 6455 for an echo, so the bench needs no library.
func WSEcho(rawURL, token string, n, size int) (Result, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Result{}, err
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	k := base64.StdEncoding.EncodeToString(key)
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nAuthorization: token %s\r\n\r\n", u.RequestURI(), u.Host, k, token)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return Result{}, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return Result{}, fmt.Errorf("websocket upgrade at %s: %s", rawURL, resp.Status)
	}
	sum := sha1.Sum([]byte(k + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return Result{}, fmt.Errorf("websocket upgrade at %s: wrong Sec-WebSocket-Accept", rawURL)
	}

	msg := bytes.Repeat([]byte("x"), size)
	frame := []byte{0x81}
	switch {
	case size < 126:
		frame = append(frame, 0x80|byte(size))
	default:
		frame = append(frame, 0x80|126)
		frame = binary.BigEndian.AppendUint16(frame, uint16(size))
	}
	frame = append(frame, 0, 0, 0, 0) // a zero mask: the payload goes as it is
	frame = append(frame, msg...)

	latencies := make([]time.Duration, 0, n)
	start := time.Now()
	got := make([]byte, size)
	for range n {
		t0 := time.Now()
		if _, err := conn.Write(frame); err != nil {
			return Result{}, err
		}
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return Result{}, err
		}
		l := int(h[1] & 0x7f)
		if l == 126 {
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return Result{}, err
			}
			l = int(binary.BigEndian.Uint16(b[:]))
		}
		if l != size {
			return Result{}, fmt.Errorf("echo of %d bytes came back as %d", size, l)
		}
		if _, err := io.ReadFull(r, got); err != nil {
			return Result{}, err
		}
		if !bytes.Equal(got, msg) {
			return Result{}, fmt.Errorf("echo changed the message")
		}
		latencies = append(latencies, time.Since(t0))
	}
	res := Result{Requests: n, Duration: time.Since(start)}
	res.P50, res.P99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return res, nil
}
