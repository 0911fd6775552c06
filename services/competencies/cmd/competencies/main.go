// Command competencies runs the Tandem competencies service.
package main

import (
	"os"

	"github.com/tandem-cluster/tandem/pkg/runtime"
	"github.com/tandem-cluster/tandem/services/competencies"
)

func main() {
	cfg := competencies.DefaultConfig()
	os.Exit(runtime.Main(competencies.EnvPrefix, &cfg, func() runtime.Options { return competencies.Options(cfg) }))
}
