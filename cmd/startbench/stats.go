package main

import (
	"bufio"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// summary is the median and range of one figure over the runs.
type summary struct {
	Median, Min, Max float64
}

// summarize returns the median (the mean of the middle two for an even
// count), minimum and maximum of xs, which must not be empty.
func summarize(xs []float64) summary {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return summary{Median: med, Min: s[0], Max: s[n-1]}
}

func (s summary) String() string {
	return fmt.Sprintf("%6.1f  [%6.1f – %6.1f]", s.Median, s.Min, s.Max)
}

// memory is what /proc/PID/status says about resident memory, in bytes.
type memory struct {
	RSS  uint64 // VmRSS: resident now
	Peak uint64 // VmHWM: the most that was ever resident
	// RssAnon and RssFile split RSS into the heap and stacks (Go's and C's)
	// and the mapped files (the binary, Mesa, LLVM), which show where a
	// difference comes from.
	Anon, File uint64
}

// parseStatus reads VmRSS, VmHWM, RssAnon and RssFile from the text of
// /proc/PID/status, where they are given in kB (KiB). The last two are
// optional.
func parseStatus(text string) (memory, error) {
	var m memory
	fields := map[string]*uint64{"VmRSS": &m.RSS, "VmHWM": &m.Peak, "RssAnon": &m.Anon, "RssFile": &m.File}
	var seen int
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		dst := fields[key]
		if !ok || dst == nil {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return memory{}, fmt.Errorf("%s: unexpected value %q", key, val)
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("%s: %w", key, err)
		}
		*dst = kb << 10
		if key == "VmRSS" || key == "VmHWM" {
			seen++
		}
	}
	if seen != 2 {
		return memory{}, fmt.Errorf("status has no VmRSS and VmHWM lines (has the process exited?)")
	}
	return m, nil
}

// userHZ is the unit of the CPU times in /proc/PID/stat. Linux fixes it
// at 100 for user space on every architecture Lobbyline runs on.
const userHZ = 100

// parseCPU returns the user plus system CPU time of all threads from the
// text of /proc/PID/stat. The command name in parentheses may hold spaces
// and parentheses, so the fields are counted from the last ')'.
func parseCPU(text string) (time.Duration, error) {
	i := strings.LastIndexByte(text, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(text[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	var ticks uint64
	for _, s := range f[11:13] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil // #nosec G115 -- clock ticks of one process fit an int64 by many orders
}

// verdict says whether ratio meets a "no more than target times" goal.
func verdict(ratio, target float64) string {
	if ratio <= target {
		return "PASS"
	}
	return "FAIL"
}
