package testenv

import (
	"os"
	"slices"
	"strconv"
	"strings"
)

// LoadAverage is the machine's load average over the last minute (from
// /proc/loadavg), or -1 where it cannot be read: benchmarks report it
// beside their figures, which on a shared machine move with it.
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// Median is the median of xs (the upper one of an even count), for
// benchmarks that report the median of their rounds.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
