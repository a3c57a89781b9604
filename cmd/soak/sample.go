package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Sample is one row of the CSV.
type Sample struct {
	At         time.Duration // since the start
	Visits     int
	RSS        int64 // bytes, VmRSS
	HeapLive   uint64
	HeapSys    uint64
	Goroutines int
	Files      int // open file descriptors
	Threads    int
	DB, WAL    int64 // kiosk.db and kiosk.db-wal, bytes
	Down       bool  // the centre was stopped
}

// Result is a run's samples.
type Result struct {
	Start   time.Time
	Every   time.Duration
	Samples []Sample
	Outages [][2]time.Duration
	stream  *csv.Writer // soak-live.csv, if set
}

func (r *Result) add(now time.Time, visits int, l *lobby, down bool) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := Sample{At: now.Sub(r.Start), Visits: visits, HeapLive: ms.HeapAlloc, HeapSys: ms.HeapSys,
		Goroutines: runtime.NumGoroutine(), Files: openFiles(), Down: down}
	s.RSS, s.Threads = procStatus()
	s.DB = fileSize(filepath.Join(l.dir, "kiosk.db"))
	s.WAL = fileSize(filepath.Join(l.dir, "kiosk.db-wal"))
	r.Samples = append(r.Samples, s)
	if r.stream != nil { // as it goes, so a long run that dies leaves its rows
		_ = r.stream.Write(s.row())
		r.stream.Flush()
	}
}

// procStatus reads VmRSS and Threads from /proc/self/status.
func procStatus() (rss int64, threads int) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1, -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			rss = kb * 1024
		case "Threads:":
			threads, _ = strconv.Atoi(f[1])
		}
	}
	return rss, threads
}

// openFiles counts this process's open file descriptors.
func openFiles() int {
	e, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(e) - 1 // the directory being read is one
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

var csvHeader = []string{"seconds", "visits", "rss_bytes", "heap_live_bytes", "heap_sys_bytes", "goroutines", "open_files", "threads", "db_bytes", "wal_bytes", "centre_down"}

func (s Sample) row() []string {
	down := "0"
	if s.Down {
		down = "1"
	}
	return []string{strconv.FormatFloat(s.At.Seconds(), 'f', 1, 64), strconv.Itoa(s.Visits),
		strconv.FormatInt(s.RSS, 10), strconv.FormatUint(s.HeapLive, 10), strconv.FormatUint(s.HeapSys, 10),
		strconv.Itoa(s.Goroutines), strconv.Itoa(s.Files), strconv.Itoa(s.Threads),
		strconv.FormatInt(s.DB, 10), strconv.FormatInt(s.WAL, 10), down}
}

// WriteFiles writes soak.csv and soak.svg into dir.
func (r *Result) WriteFiles(dir string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(csvHeader)
	for _, s := range r.Samples {
		_ = w.Write(s.row())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "soak.csv"), b.Bytes(), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "soak.svg"), r.SVG(), 0o600)
}

// Growth is how the samples after the warm-up moved.
type Growth struct {
	From, To             Sample // the first sample after the warm-up, the last
	RSSPct               float64
	MinGo, MaxGo         int
	MinFiles, MaxFiles   int
	MinThr, MaxThr       int
	MaxWAL, MaxRSS       int64
	MaxHeapLive          uint64
	PerHour              float64 // visits per hour over the run
	BaselineGo, BaseFile int     // the first sample's
}

// After is the growth after warm.
func (r *Result) After(warm time.Duration) Growth {
	var g Growth
	if len(r.Samples) == 0 {
		return g
	}
	i := 0
	for i < len(r.Samples)-1 && r.Samples[i].At < warm {
		i++
	}
	g.From, g.To = r.Samples[i], r.Samples[len(r.Samples)-1]
	g.RSSPct = 100 * float64(g.To.RSS-g.From.RSS) / float64(g.From.RSS)
	g.MinGo, g.MinFiles, g.MinThr = 1<<30, 1<<30, 1<<30
	for _, s := range r.Samples[i:] {
		g.MinGo, g.MaxGo = min(g.MinGo, s.Goroutines), max(g.MaxGo, s.Goroutines)
		g.MinFiles, g.MaxFiles = min(g.MinFiles, s.Files), max(g.MaxFiles, s.Files)
		g.MinThr, g.MaxThr = min(g.MinThr, s.Threads), max(g.MaxThr, s.Threads)
	}
	for _, s := range r.Samples {
		g.MaxWAL, g.MaxRSS, g.MaxHeapLive = max(g.MaxWAL, s.WAL), max(g.MaxRSS, s.RSS), max(g.MaxHeapLive, s.HeapLive)
	}
	if h := g.To.At.Hours(); h > 0 {
		g.PerHour = float64(g.To.Visits) / h
	}
	g.BaselineGo, g.BaseFile = r.Samples[0].Goroutines, r.Samples[0].Files
	return g
}

// Summary prints the run's figures.
func (r *Result) Summary(w io.Writer, warm time.Duration) {
	g := r.After(warm)
	mb := func(b float64) string { return fmt.Sprintf("%.1f MB", b/(1<<20)) }
	fmt.Fprintf(w, "soak: %v, %d visits (%.0f an hour), %d outages of the centre\n", g.To.At.Round(time.Second), g.To.Visits, g.PerHour, len(r.Outages))
	fmt.Fprintf(w, "soak: after the %v warm-up: RSS %s -> %s (%+.1f %%), max %s; Go heap live %s -> %s, max %s\n",
		warm, mb(float64(g.From.RSS)), mb(float64(g.To.RSS)), g.RSSPct, mb(float64(g.MaxRSS)), mb(float64(g.From.HeapLive)), mb(float64(g.To.HeapLive)), mb(float64(g.MaxHeapLive)))
	fmt.Fprintf(w, "soak: goroutines %d..%d (at the start %d), open files %d..%d (at the start %d), threads %d..%d\n",
		g.MinGo, g.MaxGo, g.BaselineGo, g.MinFiles, g.MaxFiles, g.BaseFile, g.MinThr, g.MaxThr)
	fmt.Fprintf(w, "soak: database %s, WAL %s at the end, %s at most\n", mb(float64(g.To.DB)), mb(float64(g.To.WAL)), mb(float64(g.MaxWAL)))
}
