// e2b-bench measures the Go binding against a running server: the round trip of run("true")
// (p50/p95 over -n runs) and a 64 MiB upload, printed as one JSON line. Configure it with
// E2B_API_URL, E2B_SANDBOX_URL and E2B_API_KEY (and LIBE2B_PATH).
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	"github.com/libe2b/libe2b/bindings/go/e2b"
)

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func main() {
	n := flag.Int("n", 200, "run('true') samples")
	mib := flag.Int("upload-mib", 64, "upload size in MiB")
	flag.Parse()
	ctx := context.Background()
	client, err := e2b.NewClient(e2b.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	sbx, err := client.Create(ctx, &e2b.SandboxOptions{Timeout: 10 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	defer sbx.Close()
	defer sbx.Kill(ctx)

	for i := 0; i < 5; i++ { // warm-up: connections, caches
		if _, err := sbx.Commands.Run(ctx, "true", nil); err != nil {
			log.Fatal(err)
		}
	}
	samples := make([]time.Duration, *n)
	for i := range samples {
		t0 := time.Now()
		if _, err := sbx.Commands.Run(ctx, "true", nil); err != nil {
			log.Fatal(err)
		}
		samples[i] = time.Since(t0)
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	pct := func(p float64) float64 { return ms(samples[int(p*float64(len(samples)-1))]) }

	data := make([]byte, *mib<<20)
	rand.Read(data)
	t0 := time.Now()
	if err := sbx.Files.Write(ctx, "/tmp/bench-upload.bin", data, nil); err != nil {
		log.Fatal(err)
	}
	upload := time.Since(t0)

	out, _ := json.Marshal(map[string]any{
		"binding": "go", "n": *n, "run_true_p50_ms": pct(0.50), "run_true_p95_ms": pct(0.95),
		"upload_mib": *mib, "upload_ms": ms(upload),
	})
	fmt.Println(string(out))
	os.Stdout.Sync()
}
