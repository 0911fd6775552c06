package runtime

// Version is the release a binary was built from, set by the image build
// (make images) with -ldflags "-X github.com/tandem-cluster/tandem/pkg/runtime.Version=$(git describe)".
// It is logged at start.
var Version = "dev"
