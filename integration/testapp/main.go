// Command testapp is the small web app the hubauth-proxy integration tests
// put behind the proxy: it shows each request as the app received it, and
// serves the kinds of traffic a proxy must pass through untouched: a
// server-sent event stream, a large upload, a websocket echo.
//
//	GET  /anything   JSON: method, path, raw path, query, headers
//	GET  /sse        5 events 300 ms apart, each with the time it was sent
//	POST /upload     JSON: bytes received and their SHA-256
//	GET  /ws         websocket that echoes every message
//	GET  /_seen      how many requests it has had (this one not counted)
//	GET  …/bench     the bytes of the -body file, for make bench
//
// It listens on -addr, or on the unix socket -unix; -tag is ignored, so
// tests can find the process.
package main

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "where to listen")
	unixSocket := flag.String("unix", "", "listen on this unix socket instead of -addr")
	flag.String("tag", "", "ignored; lets tests find this process")
	bodyFile := flag.String("body", "", "file whose bytes GET …/bench answers")
	flag.Parse()
	var body []byte
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			log.Fatal(err)
		}
		body = b
	}
	var seen atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/_seen", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, seen.Load())
	})
	mux.HandleFunc("/sse", sse)
	mux.HandleFunc("/upload", upload)
	mux.HandleFunc("/ws", echo)
	mux.HandleFunc("/", show)
	count := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_seen" {
			seen.Add(1)
		}
		if body != nil && strings.HasSuffix(r.URL.Path, "/bench") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		mux.ServeHTTP(w, r)
	})
	if *unixSocket != "" {
		ln, err := net.Listen("unix", *unixSocket)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("testapp listening on %s", *unixSocket)
		log.Fatal(http.Serve(ln, count))
	}
	log.Printf("testapp listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, count))
}

func show(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	_ = enc.Encode(map[string]any{
		"app":      "testapp",
		"method":   r.Method,
		"path":     r.URL.Path,
		"raw_path": r.URL.RawPath,
		"query":    r.URL.RawQuery,
		"host":     r.Host,
		"headers":  r.Header,
	})
}

func sse(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	f := w.(http.Flusher)
	for i := range 5 {
		if i > 0 {
			time.Sleep(300 * time.Millisecond)
		}
		fmt.Fprintf(w, "id: %d\ndata: %d\n\n", i, time.Now().UnixNano())
		f.Flush()
	}
}

func upload(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"bytes": n, "sha256": hex.EncodeToString(h.Sum(nil))})
}

// echo is a websocket (RFC 6455) that sends every text or binary message
// back; just enough of the protocol for the test, without a library.
func echo(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if r.Header.Get("Upgrade") != "websocket" || key == "" {
		http.Error(w, "websocket only", http.StatusBadRequest)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(sum[:]))
	if rw.Flush() != nil {
		return
	}
	for {
		op, payload, err := readFrame(rw.Reader)
		if err != nil {
			return
		}
		switch op {
		case 8: // close
			_ = writeFrame(rw.Writer, 8, nil)
			_ = rw.Flush()
			return
		case 9: // ping
			op = 10
		}
		if writeFrame(rw.Writer, op, payload) != nil || rw.Flush() != nil {
			return
		}
	}
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	op := h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame too large")
	}
	var mask [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return 0, nil, err
		}
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, err
	}
	if masked {
		for i := range p {
			p[i] ^= mask[i%4]
		}
	}
	return op, p, nil
}

func writeFrame(w *bufio.Writer, op byte, p []byte) error {
	_ = w.WriteByte(0x80 | op)
	switch n := len(p); {
	case n < 126:
		_ = w.WriteByte(byte(n))
	case n < 1<<16:
		_ = w.WriteByte(126)
		_ = binary.Write(w, binary.BigEndian, uint16(n))
	default:
		_ = w.WriteByte(127)
		_ = binary.Write(w, binary.BigEndian, uint64(n))
	}
	_, err := w.Write(p)
	return err
}
