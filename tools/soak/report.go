package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// Report prints the table and keeps the same rows in a CSV file, written
// row by row so a run that is cut short still leaves its figures.
type Report struct {
	out  io.Writer
	f    *os.File
	csv  *csv.Writer
	path string
	prev *Sample // for the CPU share since the last row
}

var columns = []string{"elapsed_s", "turns", "errors", "rss_mib", "goroutines", "open_files", "threads", "heap_mib", "go_held_mib", "rss_anon_mib", "rss_file_mib", "cpu_pct"}

// NewReport writes the table header to out and creates the CSV at path
// ("" = no CSV).
func NewReport(out io.Writer, path string) (*Report, error) {
	r := &Report{out: out, path: path}
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("artifacts folder: %w", err)
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		r.f, r.csv = f, csv.NewWriter(f)
		if err := r.csv.Write(columns); err != nil {
			f.Close()
			return nil, err
		}
	}
	fmt.Fprintf(out, "%8s %7s %6s %8s %9s %10s %10s %7s %8s %8s %6s\n", "elapsed", "turns", "errors", "RSS MiB", "anon MiB",
		"goroutines", "open files", "threads", "heap MiB", "Go MiB", "CPU %")
	return r, nil
}

// Add prints one row and appends it to the CSV.
func (r *Report) Add(s Sample) error {
	rss := float64(s.RSSKiB) / 1024
	heap := float64(s.HeapAlloc) / (1 << 20)
	held := float64(s.GoHeld) / (1 << 20)
	cpu := 0.0 // percent of one core since the previous row
	if r.prev != nil && s.Elapsed > r.prev.Elapsed {
		cpu = 100 * (s.CPU - r.prev.CPU).Seconds() / (s.Elapsed - r.prev.Elapsed).Seconds()
	}
	r.prev = &s
	fmt.Fprintf(r.out, "%8s %7d %6d %8.1f %9.1f %10d %10d %7d %8.1f %8.1f %6.1f\n", round(s.Elapsed), s.Turns, s.Errors, rss,
		float64(s.AnonKiB)/1024, s.Goroutines, s.OpenFiles, s.Threads, heap, held, cpu)
	if r.csv == nil {
		return nil
	}
	_ = r.csv.Write([]string{strconv.FormatFloat(s.Elapsed.Seconds(), 'f', 1, 64), strconv.FormatInt(s.Turns, 10),
		strconv.FormatInt(s.Errors, 10), strconv.FormatFloat(rss, 'f', 2, 64), strconv.Itoa(s.Goroutines),
		strconv.Itoa(s.OpenFiles), strconv.Itoa(s.Threads), strconv.FormatFloat(heap, 'f', 2, 64),
		strconv.FormatFloat(held, 'f', 2, 64), strconv.FormatFloat(float64(s.AnonKiB)/1024, 'f', 2, 64),
		strconv.FormatFloat(float64(s.FileKiB)/1024, 'f', 2, 64), strconv.FormatFloat(cpu, 'f', 1, 64)})
	r.csv.Flush()
	return r.csv.Error()
}

// Close flushes and closes the CSV file.
func (r *Report) Close() error {
	if r.f == nil {
		return nil
	}
	r.csv.Flush()
	if err := r.csv.Error(); err != nil {
		r.f.Close()
		return err
	}
	if err := r.f.Sync(); err != nil {
		r.f.Close()
		return err
	}
	return r.f.Close()
}
