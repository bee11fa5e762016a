package e2e

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"eventmap/internal/testdb"
)

// A slow-loris client (headers dribbled out a byte at a time) is cut off
// once EVENTMAP_READ_HEADER_TIMEOUT passes, and holds nothing after that;
// an ordinary client on another connection is served meanwhile.
func TestSlowClientIsCutOff(t *testing.T) {
	t.Parallel()
	s := startServe(t, testdb.New(t), "EVENTMAP_READ_HEADER_TIMEOUT=1s")
	s.waitReady(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	cut := false
	for _, b := range []byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") {
		if _, err := conn.Write([]byte{b}); err != nil {
			cut = true
			break
		}
		if time.Since(start) > 500*time.Millisecond {
			resp, err := http.Get(s.URL + "/healthz")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("an ordinary client was not served while a slow one held a connection: %v", err)
			}
			resp.Body.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !cut {
		// The write may still succeed into the kernel buffer; the read
		// tells whether the server hung up.
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, err := io.ReadAll(conn)
		cut = err == nil || !isTimeout(err)
	}
	if !cut {
		t.Fatal("the server kept a slow-loris connection open")
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("cut off after %v; the header timeout is 1s", took)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
