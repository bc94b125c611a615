// e2b-bench measures the Go binding against a running server and prints one JSON line per
// operation, in the format of bench/clients.mjs ({"client":"go-binding","op":...}): latency of
// run("true"), stat and a small read (p50/p95 over BENCH_N or -n samples), and throughput of a
// BENCH_BIG_MIB (default 64) streamed upload, streamed download and command stdout, with RSS.
// Configure it with E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY (and LIBE2B_PATH).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/libe2b/libe2b/bindings/go/e2b"
)

const client = "go-binding"

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func r2(x float64) float64 { return math.Round(x*100) / 100 }

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// rssMiB reads VmRSS from /proc/self/status.
func rssMiB() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.Atoi(strings.Fields(l)[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

func emit(v map[string]any) {
	v["client"] = client
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}

func latency(op string, n int, f func() error) {
	xs := make([]time.Duration, n)
	for i := range xs {
		t0 := time.Now()
		if err := f(); err != nil {
			log.Fatalf("%s: %v", op, err)
		}
		xs[i] = time.Since(t0)
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	pct := func(p float64) float64 { // nearest rank, as clients.mjs
		k := int(math.Ceil(p / 100 * float64(n)))
		k = max(1, min(n, k))
		return r2(ms(xs[k-1]))
	}
	emit(map[string]any{"op": op, "n": n, "p50_ms": pct(50), "p95_ms": pct(95)})
}

func throughput(op string, size int, f func() error) {
	debug.FreeOSMemory()
	rb := rssMiB()
	peak := rb
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // sample RSS while the transfer runs
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				peak = max(peak, rssMiB())
			}
		}
	}()
	t0 := time.Now()
	err := f()
	d := time.Since(t0)
	close(stop)
	<-done
	peak = max(peak, rssMiB())
	if err != nil {
		log.Fatalf("%s: %v", op, err)
	}
	emit(map[string]any{"op": op, "bytes": size, "ms": r2(ms(d)), "mb_per_s": r2(float64(size) / 1048576 / d.Seconds()),
		"rss_before_mib": r2(rb), "rss_peak_mib": r2(peak)})
}

// fill is an endless reader of one byte value.
type fill byte

func (f fill) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f)
	}
	return len(p), nil
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func main() {
	n := flag.Int("n", envInt("BENCH_N", 200), "latency samples")
	mib := flag.Int("big-mib", envInt("BENCH_BIG_MIB", 64), "size of the big transfers in MiB")
	flag.Parse()
	size := *mib << 20
	ctx := context.Background()
	c, err := e2b.NewClient(e2b.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	sbx, err := c.Create(ctx, &e2b.SandboxOptions{Timeout: 10 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	defer sbx.Close()
	defer sbx.Kill(ctx)

	for i := 0; i < 5; i++ { // warm-up: connections
		if _, err := sbx.Commands.Run(ctx, "true", nil); err != nil {
			log.Fatal(err)
		}
	}
	latency("run_true", *n, func() error { _, err := sbx.Commands.Run(ctx, "true", nil); return err })
	small := bytes.Repeat([]byte("x"), 1024)
	if err := sbx.Files.Write(ctx, "/home/user/small.txt", small, nil); err != nil {
		log.Fatal(err)
	}
	latency("stat", *n, func() error { _, err := sbx.Files.GetInfo(ctx, "/home/user/small.txt", nil); return err })
	latency("read_small", *n, func() error {
		b, err := sbx.Files.Read(ctx, "/home/user/small.txt", nil)
		if err == nil && len(b) != 1024 {
			err = fmt.Errorf("read %d bytes", len(b))
		}
		return err
	})

	throughput("stdout_big", size, func() error {
		var cnt counter
		_, err := sbx.Commands.Run(ctx, fmt.Sprintf("head -c %d /dev/zero", size), &e2b.CommandOptions{Timeout: -1, Stdout: &cnt})
		if err == nil && cnt.n != int64(size) {
			err = fmt.Errorf("stdout %d of %d bytes", cnt.n, size)
		}
		return err
	})
	// Streamed from a generator, as bench/c/client_bench.c does (constant memory).
	throughput("upload_big", size, func() error {
		return sbx.Files.WriteStream(ctx, "/home/user/big.bin", io.LimitReader(fill('z'), int64(size)), int64(size),
			&e2b.FilesOptions{RequestTimeout: -1})
	})
	throughput("download_big", size, func() error {
		rc, err := sbx.Files.ReadStream(ctx, "/home/user/big.bin", &e2b.FilesOptions{RequestTimeout: -1})
		if err != nil {
			return err
		}
		defer rc.Close()
		got, err := io.Copy(io.Discard, rc)
		if err == nil && got != int64(size) {
			err = fmt.Errorf("download %d of %d bytes", got, size)
		}
		return err
	})
}
