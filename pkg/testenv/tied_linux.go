package testenv

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startTied starts cmd so the kernel kills it when this process dies: test
// binaries have no hook that runs after the last test. Pdeathsig fires when
// the starting OS thread exits, so it is started from a goroutine that keeps
// its thread locked for the life of the process.
func startTied(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread must outlive the child
		errc <- cmd.Start()
		if cmd.Process != nil {
			_ = cmd.Wait()
		}
		select {} // keep the thread; exits with the process
	}()
	return <-errc
}
