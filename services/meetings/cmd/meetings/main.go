// Command meetings runs the Tandem meetings service.
package main

import (
	"os"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/services/meetings"
)

func main() {
	cfg := meetings.DefaultConfig()
	os.Exit(runtime.Main(meetings.EnvPrefix, &cfg, func() runtime.Options { return meetings.Options(cfg) }))
}
