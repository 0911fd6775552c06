// Command gateway runs Tandem's HTTP gateway.
package main

import (
	"os"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/services/gateway"
)

func main() {
	cfg := gateway.DefaultConfig()
	os.Exit(runtime.Main(gateway.EnvPrefix, &cfg, func() runtime.Options { return gateway.Options(cfg, nil) }))
}
