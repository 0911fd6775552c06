// Command matching runs the Tandem matching service.
package main

import (
	"os"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/services/matching"
)

func main() {
	cfg := matching.DefaultConfig()
	os.Exit(runtime.Main(matching.EnvPrefix, &cfg, func() runtime.Options { return matching.Options(cfg) }))
}
