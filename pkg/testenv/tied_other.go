//go:build !linux

package testenv

import "os/exec"

// startTied starts cmd; off Linux nothing kills it with the test binary, so
// prefer REDIS_URL there.
func startTied(cmd *exec.Cmd) error { return cmd.Start() }
