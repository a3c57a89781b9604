package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// latencies summarises request durations.
type latencies struct {
	N             int
	P50, P99, Max time.Duration
}

// summarizeLatencies uses the nearest-rank percentile: the smallest value
// at least p% of the samples do not exceed.
func summarizeLatencies(ds []time.Duration) latencies {
	if len(ds) == 0 {
		return latencies{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p/100*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return latencies{N: len(s), P50: rank(50), P99: rank(99), Max: s[len(s)-1]}
}

func (l latencies) String() string {
	return fmt.Sprintf("p50 %s, p99 %s, max %s", ms(l.P50), ms(l.P99), ms(l.Max))
}

// ms prints a duration in milliseconds with sensible precision.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func msNum(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

// writeHistogram prints counts per bucket, 20 to a line, each line led by
// the offset of its first bucket.
func writeHistogram(w io.Writer, indent string, counts []int, width time.Duration) {
	const perLine = 20
	for i := 0; i < len(counts); i += perLine {
		var b strings.Builder
		for _, c := range counts[i:min(i+perLine, len(counts))] {
			fmt.Fprintf(&b, " %3d", c)
		}
		fmt.Fprintf(w, "%s%6s |%s\n", indent, (time.Duration(i) * width).Round(time.Millisecond), b.String())
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
