// Command profiles runs the Tandem profiles service.
package main

import (
	"os"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/services/profiles"
)

func main() {
	cfg := profiles.DefaultConfig()
	os.Exit(runtime.Main(profiles.EnvPrefix, &cfg, func() runtime.Options { return profiles.Options(cfg) }))
}
