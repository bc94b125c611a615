package e2b

import (
	"errors"
	"io"
	"testing"
	"time"
)

// chunkPipe: bytes in order, the producer waits once max bytes are buffered, Close and abort
// release a waiting producer, and the end error reaches the reader after the buffered bytes.
func TestChunkPipe(t *testing.T) {
	p := newChunkPipe(8)
	if err := p.write([]byte("abcdefgh")); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan error)
	go func() { blocked <- p.write([]byte("ij")) }()
	select {
	case <-blocked:
		t.Fatal("write past the bound did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	buf := make([]byte, 3)
	if n, err := p.Read(buf); n != 3 || err != nil || string(buf) != "abc" {
		t.Fatalf("%d %v %q", n, err, buf)
	}
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	p.closeWrite(errors.New("boom"))
	rest, err := io.ReadAll(io.LimitReader(p, 7))
	if string(rest) != "defghij" || err != nil {
		t.Fatalf("%q %v", rest, err)
	}
	if _, err := p.Read(buf); err == nil || err.Error() != "boom" {
		t.Fatalf("end error: %v", err)
	}

	q := newChunkPipe(1)
	q.write([]byte("x"))
	go func() { blocked <- q.write([]byte("y")) }()
	time.Sleep(20 * time.Millisecond)
	q.Close()
	if err := <-blocked; !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write after Close: %v", err)
	}
	r := newChunkPipe(1)
	r.closeWrite(nil)
	if _, err := r.Read(buf); err != io.EOF {
		t.Fatalf("empty stream: %v", err)
	}
}
