// hello creates a sandbox, runs a command with streamed output, round-trips a file and kills
// the sandbox. Configure it as the official SDKs: E2B_API_KEY, E2B_API_URL, E2B_SANDBOX_URL,
// and LIBE2B_PATH if libe2b.so.0 is not on the loader path.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/libe2b/libe2b/bindings/go/e2b"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client, err := e2b.NewClient(e2b.Config{}) // E2B_* from the environment
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	sbx, err := client.Create(ctx, &e2b.SandboxOptions{Timeout: 5 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	defer sbx.Close()
	defer sbx.Kill(context.Background())
	fmt.Println("sandbox", sbx.ID())

	res, err := sbx.Commands.Run(ctx, "for i in 1 2 3; do echo step $i; sleep 0.2; done; uname -s",
		&e2b.CommandOptions{Stdout: os.Stdout})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", res.ExitCode)

	if err := sbx.Files.Write(ctx, "/tmp/hello.txt", []byte("hello from Go\n"), nil); err != nil {
		log.Fatal(err)
	}
	data, err := sbx.Files.Read(ctx, "/tmp/hello.txt", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("read back: %s", data)

	if _, err := sbx.Files.Read(ctx, "/tmp/missing", nil); errors.Is(err, e2b.ErrFileNotFound) {
		fmt.Println("typed error:", err)
	}
}
