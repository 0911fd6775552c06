// Command messaging runs the Tandem messaging service.
package main

import (
	"os"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/services/messaging"
)

func main() {
	cfg := messaging.DefaultConfig()
	os.Exit(runtime.Main(messaging.EnvPrefix, &cfg, func() runtime.Options { return messaging.Options(cfg) }))
}
