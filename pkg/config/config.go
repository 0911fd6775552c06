// Package config loads a service's typed configuration from environment
// variables and command-line flags (ardanlabs/conf), so every binary has the
// same --help, defaults and secret masking.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/ardanlabs/conf/v3"
)

// ErrHelp is returned by Load after the usage (or version) text was written;
// callers exit 0 on it.
var ErrHelp = errors.New("help requested")

// argsMu serialises Load: ardanlabs/conf only reads flags from os.Args, so
// Load swaps os.Args for the duration of one parse. Without the lock two
// services parsing in one process (tandem dev) would see each other's flags.
var argsMu sync.Mutex

// Load applies defaults, then environment variables named PREFIX_FIELD, then
// flags from args (without the program name) to cfg, a pointer to a struct
// with `conf:"..."` tags. Unknown flags are an error so typos do not pass
// silently. On --help/-h it writes usage with defaults (secrets masked) to w
// and returns ErrHelp.
func Load(prefix string, cfg any, args []string, w io.Writer) error {
	argsMu.Lock()
	saved := os.Args
	prog := "tandem"
	if len(saved) > 0 {
		prog = saved[0]
	}
	os.Args = append([]string{prog}, args...)
	text, err := conf.ParseWithOptions(prefix, cfg, conf.WithStrictFlags())
	os.Args = saved
	argsMu.Unlock()

	switch {
	case err == nil:
		return nil
	case errors.Is(err, conf.ErrHelpWanted), errors.Is(err, conf.ErrVersionWanted):
		if w != nil {
			fmt.Fprintln(w, text)
		}
		return ErrHelp
	default:
		return fmt.Errorf("load %s config: %w", prefix, err)
	}
}

// String renders cfg one field per line with masked fields hidden, for the
// start-up log.
func String(cfg any) string {
	s, err := conf.String(cfg)
	if err != nil {
		return fmt.Sprintf("<config: %v>", err)
	}
	return s
}
