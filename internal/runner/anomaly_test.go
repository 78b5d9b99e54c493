package runner

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
)

// After five normal backups, one that lost 90% of its size is flagged in
// its manifest and warnings; the normal ones and a job with too little
// history are not.
func TestSizeAnomaly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	f.r.Anomalies = AnomalyPolicy{Window: 5, MinPercent: 50}
	normal := &fakeDumper{content: bytes.Repeat([]byte("row\n"), 2500)}
	for i := range 5 {
		b, err := f.r.Backup(ctx, f.job(normal))
		if err != nil {
			t.Fatal(err)
		}
		if b.Anomalous() || len(b.Warnings) != 0 {
			t.Fatalf("normal backup %d flagged: %q", i, b.Warnings)
		}
	}
	small := &fakeDumper{content: bytes.Repeat([]byte("row\n"), 250)}
	b, err := f.r.Backup(ctx, f.job(small))
	if err != nil {
		t.Fatal(err)
	}
	if !b.Anomalous() || b.Manifest.SizeAnomaly.MedianRawBytes != 10000 || b.Manifest.SizeAnomaly.Compared != 5 {
		t.Fatalf("manifest anomaly = %+v", b.Manifest.SizeAnomaly)
	}
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], "10% of the median") {
		t.Errorf("warnings = %q", b.Warnings)
	}
	stored, err := f.r.Catalog.Get(ctx, b.ID)
	if err != nil || !stored.Anomalous() {
		t.Errorf("the catalog lost the anomaly: %v", err)
	}

	// Another job with two earlier backups: too little history to judge.
	job := f.job(normal)
	job.Database = "other"
	for range 2 {
		if _, err := f.r.Backup(ctx, job); err != nil {
			t.Fatal(err)
		}
	}
	job.Dumper = small
	if b, err := f.r.Backup(ctx, job); err != nil || b.Anomalous() {
		t.Errorf("flagged with two earlier backups: %v, %v", b.Warnings, err)
	}

	// Turned off.
	f.r.Anomalies.MinPercent = 0
	if b, err := f.r.Backup(ctx, f.job(small)); err != nil || b.Anomalous() {
		t.Errorf("flagged with the check off: %v, %v", b.Warnings, err)
	}
}

func TestMedianOf(t *testing.T) {
	for _, tc := range []struct {
		in   []int64
		want int64
	}{
		{[]int64{5}, 5},
		{[]int64{9, 1, 5}, 5},
		{[]int64{10, 1, 8, 3}, 3},
		{[]int64{7, 7, 1, 7, 7}, 7},
	} {
		if got := medianOf(tc.in); got != tc.want {
			t.Errorf("medianOf(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// Full backups that retention has deleted still make the baseline (keep
// may be below the window), and a run of small backups stays flagged,
// anomalous ones never joining the baseline, until a whole window of them
// makes the smaller size the job's new normal.
func TestSizeAnomalyBaselineKeepsFullBackups(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	f.r.Anomalies = AnomalyPolicy{Window: 3, MinPercent: 50}
	normal := &fakeDumper{content: bytes.Repeat([]byte("row\n"), 2500)}
	small := &fakeDumper{content: bytes.Repeat([]byte("row\n"), 250)}
	for range 3 {
		b, err := f.r.Backup(ctx, f.job(normal))
		if err != nil {
			t.Fatal(err)
		}
		// Pruned right away, as with keep: 1.
		b.Status = backup.StatusDeleted
		if err := f.r.Catalog.Update(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var flags []bool
	for range 4 {
		b, err := f.r.Backup(ctx, f.job(small))
		if err != nil {
			t.Fatal(err)
		}
		flags = append(flags, b.Anomalous())
	}
	if want := []bool{true, true, true, false}; fmt.Sprint(flags) != fmt.Sprint(want) {
		t.Errorf("small backups flagged %v, want %v (three in a row, then the new normal)", flags, want)
	}
}
